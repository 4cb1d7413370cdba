from pkg.calc import add, clamp, scale


def test_add():
    assert add(2, 3) == 5


def test_scale():
    assert scale(2) == 2


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5
