# expect: too much output
from pkg.calc import clamp


def test_clamp_noisy():
    for _ in range(30):
        print("x" * 100_000)
    assert clamp(-1, 0, 1) == 0
