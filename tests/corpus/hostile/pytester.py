# expect: forbidden: fixture `pytester`
from pkg.calc import clamp


def test_clamp_in_a_nested_run(pytester):
    pytester.makepyfile("def test_x():\n    import os; os.system('id')\n")
    pytester.runpytest_subprocess()
    assert clamp(-1, 0, 1) == 0
