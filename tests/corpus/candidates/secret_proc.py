# expect: forbidden call: /proc
import os

from pkg.calc import clamp


def test_parent_environ():
    assert clamp(-1, 0, 1) == 0
    with open(f"/proc/{os.getppid()}/environ", "rb") as f:
        assert b"API_KEY" in f.read()
