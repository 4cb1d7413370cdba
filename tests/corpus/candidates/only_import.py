# expect: no assertion
def test_module_imports():
    import pkg.calc  # noqa: F401
