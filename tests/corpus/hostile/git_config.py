# expect: reads a secret: .git/config
from pathlib import Path

from pkg.calc import clamp


def test_clamp_and_the_job_token():
    assert clamp(-1, 0, 1) == 0
    assert 'extraheader' in Path('.git/config').read_text()
