"""The static allowlist: a generated test file is plain test code, or it is refused.

* Module level holds only imports, constants (assignments), function and class definitions
  with their decorators, a docstring, and the inert ``if __name__ == "__main__":`` and
  ``if TYPE_CHECKING:`` blocks; a class body only definitions, assignments and a docstring.
* Imports: what ``ImportPolicy`` allows (``imports.py``); ``pytest.importorskip``,
  ``monkeypatch.setattr`` and ``mock.patch`` with a dotted string import too, and are checked
  the same way.
* No dynamic code or introspection: ``exec``/``eval``/``compile``/``__import__``/``globals``/
  ``locals``/``vars``, dunder attributes (but ``__name__``, ``__doc__`` and the like), frames,
  ``getattr``/``setattr``/``delattr`` with a computed name, string conditions in
  ``skipif``/``xfail`` (pytest evaluates them), the plugin manager, ``pytester``.
* Of ``os`` and ``sys`` only the attributes in ``OS_ALLOWED`` and ``SYS_ALLOWED``.
* No writes outside ``tmp_path`` and no reads outside the workspace, as far as the source
  shows: path literals that are absolute or climb with ``..``, paths built from ``__file__``,
  the home or the current folder; ``/proc``, ``conftest.py``, secret names and credential
  files named in a string (constant parts joined, so ``'/pr' + 'oc/'`` counts).

Each refusal names the construct and its line: ``forbidden: `__import__` (line 7)``.
When a file breaks several rules, the most serious is reported: first what reaches for a
capability (secrets, processes, the network, the file system), then dynamic code and
introspection, then imports off the allowlist and the shape of the module.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tta_ci.validate.access import file_access, fold, short
from tta_ci.validate.imports import ImportPolicy, refusal

__all__ = ["OS_ALLOWED", "SYS_ALLOWED", "Problem", "file_problems"]

OS_ALLOWED = frozenset({
    "path", "sep", "altsep", "pathsep", "linesep", "curdir", "pardir", "extsep", "devnull",
    "name", "environ", "getenv", "fspath", "fsencode", "fsdecode", "PathLike", "getcwd",
    "listdir", "scandir", "walk", "stat", "lstat", "makedirs", "mkdir", "remove", "unlink",
    "rename", "renames", "replace", "rmdir", "removedirs", "chmod", "utime", "access", "F_OK",
    "R_OK", "W_OK", "X_OK", "cpu_count", "urandom", "strerror", "SEEK_SET", "SEEK_CUR",
    "SEEK_END", "error", "stat_result", "DirEntry", "getpid", "readlink", "truncate",
    "get_terminal_size", "terminal_size",
})
SYS_ALLOWED = frozenset({
    "version_info", "version", "platform", "maxsize", "float_info", "int_info", "hash_info",
    "byteorder", "hexversion", "implementation", "getrecursionlimit", "getsizeof",
    "getdefaultencoding", "getfilesystemencoding", "float_repr_style", "maxunicode", "stdout",
    "stderr", "exc_info", "exception", "intern",
})
DYNAMIC_NAMES = frozenset({"exec", "eval", "compile", "__import__", "globals", "locals", "vars",
                           "breakpoint", "input"})
EXIT_NAMES = frozenset({"exit", "quit"})
SAFE_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__module__", "__version__",
                          "__all__"})
SAFE_DUNDER_NAMES = frozenset({"__name__", "__file__", "__doc__"})
FRAME_ATTRS = frozenset({"f_globals", "f_locals", "f_back", "f_builtins", "f_code", "f_trace",
                         "tb_frame", "tb_next", "gi_frame", "gi_code", "cr_frame", "cr_code",
                         "ag_frame", "ag_code", "co_code", "pluginmanager", "syspath_prepend"})
CAPABILITY_ATTRS = {
    **dict.fromkeys(("create_subprocess_exec", "create_subprocess_shell", "subprocess_exec",
                     "subprocess_shell"), "subprocess"),
    **dict.fromkeys(("open_connection", "open_unix_connection", "start_server",
                     "start_unix_server", "create_connection", "create_server",
                     "create_datagram_endpoint", "create_unix_connection",
                     "create_unix_server", "sock_connect", "getaddrinfo", "getnameinfo"),
                    "socket"),
}
FORBIDDEN_FIXTURES = frozenset({"pytester", "testdir", "pytestconfig", "record_property",
                                "record_xml_attribute", "record_testsuite_property"})
TMP_NAMES = frozenset({"tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"})
SECRET_NAME = re.compile(r"^(OPENROUTER_API_KEY|GITHUB_TOKEN|GH_TOKEN|ACTIONS_RUNTIME_TOKEN|"
                         r"[A-Z0-9_]*(_API_KEY|_TOKEN|_SECRET|_PASSWORD))$")
SECRET_FILES = (".git/config", ".git-credentials", ".netrc", "/.ssh", "id_rsa", "id_ed25519",
                ".pypirc", ".docker/config")
PATCHERS = re.compile(r"^(unittest\.mock|mock)\.patch(\.dict|\.multiple)?$|^monkeypatch\."
                      r"(setattr|delattr)$")
MAX_SLEEP_S = 1.0


@dataclass(frozen=True, order=True)
class Problem:
    """One refusal: ``tier`` 0 capability, 1 dynamic code, 2 allowlist and shape."""

    tier: int
    line: int
    rank: int
    message: str


class _Checker:
    def __init__(self, tree: ast.Module, policy: ImportPolicy) -> None:
        self.policy = policy
        self.found: list[Problem] = []
        self.aliases = _aliases(tree)
        self.modules = {v.split(".")[0] for v in self.aliases.values()}
        self.project = policy.project
        self.main_guard: set[int] = set()  # ids of nodes inside ``if __name__ == "__main__"``

    def add(self, tier: int, node: ast.AST, message: str, rank: int = 5) -> None:
        line = getattr(node, "lineno", 0)
        self.found.append(Problem(tier, line, rank, f"{message} (line {line})"))

    def dotted(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            return None
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    # -- imports --------------------------------------------------------------------------

    def module(self, node: ast.AST, module: str, *, what: str = "import") -> None:
        reason = refusal(module)
        if reason is not None:
            tier = 1 if reason.startswith("forbidden: ") else 0
            self.add(tier, node, reason, rank=6)
        elif not self.policy.allows(module):
            self.add(2, node, f"forbidden {what}: `{module}`", rank=6)

    def imports(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.module(node, alias.name)
                if "." in alias.name:
                    self.attribute(node, alias.name)
            return
        if node.level or node.module is None:
            return  # relative: the project's own package
        self.module(node, node.module)
        for alias in node.names:
            if alias.name != "*":
                self.attribute(node, f"{node.module}.{alias.name}")

    # -- names and attributes --------------------------------------------------------------

    def private(self, root: str, rest: str) -> bool:
        """A ``_private`` name inside a module that is not the project's."""
        return root in self.modules and root not in self.project and any(
            p.startswith("_") and not p.startswith("__") for p in rest.split(".") if p)

    def attribute(self, node: ast.AST, dotted: str) -> None:
        root, _, rest = dotted.partition(".")
        first = rest.split(".")[0]
        last = dotted.rsplit(".", 1)[-1]
        if (rest and _dunder(last) and last not in SAFE_DUNDERS) or last in FRAME_ATTRS:
            self.add(1, node, f"forbidden: `{dotted}`")
        elif last in CAPABILITY_ATTRS:
            self.add(0, node, f"forbidden call: {CAPABILITY_ATTRS[last]}")
        elif root == "os" and rest and first not in OS_ALLOWED:
            self.add(0, node, f"forbidden call: os.{first}")
        elif root == "sys" and first == "exit":
            self.add(0, node, "forbidden call: sys.exit")
        elif root == "sys" and rest and first not in SYS_ALLOWED:
            self.add(1, node, f"forbidden: `sys.{first}`")
        elif self.private(root, rest) or (
                root in ("request", "pytestconfig") and first in ("config", "session")):
            self.add(1, node, f"forbidden: `{dotted}`")
        elif rest and (reason := refusal(dotted)) is not None:
            self.add(1 if reason.startswith("forbidden: ") else 0, node, reason)

    def name(self, node: ast.Name) -> None:
        name = node.id
        if name in self.aliases:
            if "." in self.aliases[name]:
                self.attribute(node, self.aliases[name])
        elif name in EXIT_NAMES:
            self.add(0, node, f"forbidden call: {name}")
        elif name in DYNAMIC_NAMES or (_dunder(name) and name not in SAFE_DUNDER_NAMES):
            self.add(1, node, f"forbidden: `{name}`")

    def string(self, node: ast.AST, value: str) -> None:
        if isinstance(node, ast.Constant) and SECRET_NAME.match(value):
            self.add(0, node, f"reads a secret: {value}", rank=2)
        if "conftest.py" in value:
            self.add(0, node, "writes conftest.py", rank=1)
        if "/proc/" in value or value.rstrip("/") == "/proc":
            self.add(0, node, "forbidden call: /proc", rank=3)
        for name in SECRET_FILES:
            if name in value:
                self.add(0, node, f"reads a secret: {name}", rank=2)

    # -- calls ------------------------------------------------------------------------------

    def call(self, node: ast.Call) -> None:
        name = self.dotted(node.func) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        arg0 = node.args[0] if node.args else None
        if name in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
            self.computed_attribute(node, name)
        elif name in ("__import__", "importlib.import_module") and arg0 is not None:
            module = fold(arg0)
            if module is not None and refusal(module) is not None:
                self.module(node, module)
        elif name == "time.sleep" and isinstance(arg0, ast.Constant) and \
                isinstance(arg0.value, int | float) and arg0.value > MAX_SLEEP_S:
            self.add(0, node, f"forbidden call: time.sleep({arg0.value})")
        elif name == "shutil.rmtree" and not _mentions(node, TMP_NAMES):
            self.add(0, node, "forbidden call: shutil.rmtree")
        elif name in ("pytest.mark.skipif", "pytest.mark.xfail") and arg0 is not None and \
                fold(arg0) is not None:
            self.add(1, node, f"forbidden: string condition in `{name.rsplit('.', 1)[-1]}`")
        elif name == "pytest.importorskip" and arg0 is not None:
            self.string_import(node, arg0, "import")
        elif PATCHERS.match(name) and arg0 is not None:
            # patch("a.b") needs its target as a string; patch.dict and monkeypatch also take
            # the object itself, which is a plain attribute access
            if name.endswith(".patch") or isinstance(arg0, ast.Constant | ast.JoinedStr):
                self.string_import(node, arg0, "patch target")
        elif name == "pytest.main" and id(node) not in self.main_guard:
            self.add(1, node, "forbidden: `pytest.main`")
        elif method == "getfixturevalue" and (arg0 is None or fold(arg0) in
                                              (None, *FORBIDDEN_FIXTURES)):
            self.add(1, node, f"forbidden: `{short(node)}`")
        for message in file_access(node, name, method, self.dotted):
            self.add(0, node, message)

    def computed_attribute(self, node: ast.Call, name: str) -> None:
        attr = fold(node.args[1])
        if attr is None:
            self.add(1, node, f"forbidden: `{name}` with a computed name")
            return
        target = self.dotted(node.args[0])
        self.attribute(node, f"{target or '_'}.{attr}")

    def string_import(self, node: ast.Call, arg: ast.AST, what: str) -> None:
        target = fold(arg)
        if target is None:
            self.add(1, node, f"forbidden: computed {what} in `{short(node.func)}`")
            return
        if what == "patch target" and target.split(".")[0] == "builtins":
            self.attribute(node, target)
            return
        self.attribute(node, target)
        self.module(node, target, what=what)


def _dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _mentions(node: ast.AST, names: frozenset[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _aliases(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _is_main_guard(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and fold(test.comparators[0]) == "__main__")


def _is_type_checking(node: ast.If) -> bool:
    name = ast.unparse(node.test)
    return name in ("TYPE_CHECKING", "typing.TYPE_CHECKING") and all(
        isinstance(s, ast.Import | ast.ImportFrom) for s in node.body) and not node.orelse


def _shape(checker: _Checker, tree: ast.Module) -> None:
    """Module level and class bodies: definitions and constants only."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name.startswith("pytest_"):
                checker.add(0, node, f"defines pytest hook: {node.name}", rank=0)
            if isinstance(node, ast.ClassDef):
                _class_shape(checker, node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            if not all(isinstance(t, ast.Name | ast.Tuple) for t in targets):
                checker.add(2, node, f"forbidden: module-level code `{short(node)}`")
            for name in names:
                if name.id.startswith("pytest_") or name.id == "collect_ignore":
                    checker.add(0, node, f"defines pytest hook: {name.id}", rank=0)
        elif isinstance(node, ast.If) and _is_main_guard(node):
            checker.main_guard |= {id(n) for n in ast.walk(node)}
        elif not (isinstance(node, ast.Import | ast.ImportFrom | ast.Pass)
                  or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
                  or (isinstance(node, ast.If) and _is_type_checking(node))):
            checker.add(2, node, f"forbidden: module-level code `{short(node)}`")


def _class_shape(checker: _Checker, cls: ast.ClassDef) -> None:
    allowed = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign,
               ast.Pass)
    for node in cls.body:
        if isinstance(node, ast.ClassDef):
            _class_shape(checker, node)
        elif not isinstance(node, allowed) and not (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            checker.add(2, node, f"forbidden: class-level code `{short(node)}`")


def file_problems(tree: ast.Module, policy: ImportPolicy) -> list[Problem]:
    """Every rule ``tree`` breaks, most serious first."""
    checker = _Checker(tree, policy)
    _shape(checker, tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            checker.imports(node)
        elif isinstance(node, ast.Call):
            checker.call(node)
        elif isinstance(node, ast.Attribute):
            if (dotted := checker.dotted(node)) is not None:
                checker.attribute(node, dotted)
            elif (_dunder(node.attr) and node.attr not in SAFE_DUNDERS) or \
                    node.attr in FRAME_ATTRS:
                checker.add(1, node, f"forbidden: `{short(node)}`")
        elif isinstance(node, ast.Name):
            checker.name(node)
        elif isinstance(node, ast.arg) and node.arg in FORBIDDEN_FIXTURES:
            checker.add(1, node, f"forbidden: fixture `{node.arg}`")
        if isinstance(node, ast.Constant | ast.BinOp | ast.JoinedStr):
            value = fold(node)
            if value is not None:
                checker.string(node, value)
    return sorted(set(checker.found))
