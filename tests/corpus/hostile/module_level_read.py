# expect: reads outside the workspace | import error
# The path of the user's checkout, as char codes: no literal for the static gate to see.
from pkg.calc import clamp

STOLEN = open(''.join(map(chr, __GITCONFIG_CODES__))).read()


def test_clamp():
    assert clamp(-1, 0, 1) == 0
    assert STOLEN
