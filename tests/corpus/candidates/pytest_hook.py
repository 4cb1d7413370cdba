# expect: defines pytest hook
from pkg.calc import clamp


def pytest_collection_modifyitems(items):
    items.clear()


def test_clamp():
    assert clamp(-1, 0, 1) == 0
