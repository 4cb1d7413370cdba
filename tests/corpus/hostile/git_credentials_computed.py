# expect: failed | reads outside the workspace
# The home folder and the file name are built at run time; the sandbox's home is its own.
import os

from pkg.calc import clamp


def test_clamp_and_the_credentials():
    assert clamp(-1, 0, 1) == 0
    name = os.path.join(os.path.expanduser(chr(126)), chr(46) + 'git-credentials')
    with open(name) as f:
        assert 'x-access-token' in f.read()
