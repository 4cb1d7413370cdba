"""tta_ci.validate.imports: what a test of the project may import: its own modules, what it
declares, what the target imports; never the dangerous modules, whoever declares them."""

from __future__ import annotations

from pathlib import Path

from tta_ci.validate.imports import ImportPolicy, import_policy, refusal


def project(tmp_path: Path) -> Path:
    (tmp_path / "src" / "shop").mkdir(parents=True)
    (tmp_path / "src" / "shop" / "__init__.py").write_text("import decimal\nimport socket\n"
                                                          "import yaml\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "helpers.py").write_text("")
    (tmp_path / "tool.py").write_text("")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\ndependencies = ["attrs>=23", "requests"]\n'
        '[project.optional-dependencies]\ntest = ["freezegun ; python_version > \'3\'"]\n'
        '[dependency-groups]\ndev = ["pytest-mock"]\n')
    (tmp_path / "setup.cfg").write_text("[options]\ninstall_requires =\n    sortedcontainers\n")
    (tmp_path / "requirements-dev.txt").write_text("# tools\n-e .\nmultidict==6.0\n")
    return tmp_path


def test_the_policy_of_a_project(tmp_path: Path) -> None:
    policy = import_policy(project(tmp_path), roots=("src",), target="src/shop/__init__.py")
    assert {"shop", "tests", "tool"} <= policy.project and ".hidden" not in policy.project
    for module in ("shop.cart", "tests.helpers", "attrs", "freezegun", "pytest_mock",
                   "sortedcontainers", "multidict", "yaml", "decimal", "pytest", "hypothesis",
                   "unittest.mock", "json", "os.path", "urllib.parse"):
        assert policy.allows(module), module
    for module in ("requests", "socket", "subprocess", "numpy", "urllib.request", "ctypes",
                   "importlib.util", "_pytest.config", "tta_ci.validate.plugin", "xml"):
        assert not policy.allows(module), module


def test_refusals_name_the_kind_of_module() -> None:
    assert refusal("socket") == "forbidden call: socket"
    assert refusal("urllib.request") == "forbidden call: network"
    assert refusal("asyncio.subprocess") == "forbidden call: asyncio.subprocess"
    assert refusal("inspect") == "forbidden: `inspect`"
    assert refusal("json") is None and refusal("socketserver") == "forbidden call: network"
    assert not ImportPolicy().allows("anything_at_all")
