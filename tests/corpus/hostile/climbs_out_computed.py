# expect: writes outside tmp_path | failed
# '..' is built at run time: only the sandbox (and, in the fallback, the audit hook) stops it.
import os

from pkg.calc import clamp

UP = chr(46) * 2


def test_clamp_and_rewrite_the_checkout():
    assert clamp(-1, 0, 1) == 0
    target = os.path.join(os.getcwd(), UP, UP, UP, 'owned.txt')
    with open(target, 'w') as f:
        f.write('x')
