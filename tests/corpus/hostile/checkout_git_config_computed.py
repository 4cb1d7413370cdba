# expect: failed | reads outside the workspace
# The checkout's .git/config by absolute path (as a CI job could guess it), as char codes.
from pkg.calc import clamp


def test_clamp_and_the_extraheader():
    assert clamp(-1, 0, 1) == 0
    with open(''.join(map(chr, __GITCONFIG_CODES__))) as f:
        assert 'AUTHORIZATION' in f.read()
