# expect: writes outside tmp_path
# Appends a forged "passed" result to the plugin's event file: refused at run time.
import json
import os

from pkg.calc import clamp


def test_clamp_forges_its_result():
    with open(os.environ['TTA_SANDBOX_REPORT'], 'a') as f:
        f.write(json.dumps({'event': 'result', 'nodeid': 'x', 'outcome': 'passed'}) + '\n')
    assert clamp(-1, 0, 1) == 1
