"""Which files a call in a test file reaches, as far as its source shows (``policy.py``).

A path is judged by its constant parts: the text an expression starts with (``'/etc' + x``,
``f'/proc/{pid}'``, ``Path('/a', b)``) and the constants joined to it as path components
(``p / '..'``, ``os.path.join(p, '/x')``). A write is outside ``tmp_path`` when such a part is
absolute, in the home folder or climbs with ``..``, or when the path is built from
``__file__``, the current folder or the home folder; a read is outside the workspace on the
same parts. What the source does not show is the sandbox's and the audit hook's to refuse.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

__all__ = ["file_access", "fold", "short"]

Resolver = Callable[[ast.AST], "str | None"]  # the dotted name an expression stands for

WRITE_METHODS = frozenset({"write_text", "write_bytes", "unlink", "rmdir", "mkdir", "touch",
                           "rename", "replace", "symlink_to", "hardlink_to", "chmod"})
READ_METHODS = frozenset({"read_text", "read_bytes", "iterdir", "glob", "rglob", "exists",
                          "is_file", "is_dir", "stat"})
WRITE_FUNCS = {"os.remove": (0,), "os.unlink": (0,), "os.rmdir": (0,), "os.removedirs": (0,),
               "os.mkdir": (0,), "os.makedirs": (0,), "os.chmod": (0,), "os.utime": (0,),
               "os.truncate": (0,), "os.rename": (0, 1), "os.renames": (0, 1),
               "os.replace": (0, 1), "shutil.copy": (1,), "shutil.copy2": (1,),
               "shutil.copyfile": (1,), "shutil.copytree": (1,), "shutil.move": (0, 1)}
READ_FUNCS = {"os.listdir": (0,), "os.scandir": (0,), "os.walk": (0,), "os.stat": (0,),
              "os.lstat": (0,), "os.access": (0,), "os.readlink": (0,), "glob.glob": (0,),
              "glob.iglob": (0,), "shutil.copy": (0,), "shutil.copy2": (0,),
              "shutil.copyfile": (0,), "shutil.copytree": (0,), "io.open": (0,), "open": (0,)}
OUTSIDE_CALLS = frozenset({"os.getcwd", "pathlib.Path.cwd", "pathlib.Path.home",
                           "os.path.expanduser", "os.path.expandvars"})
_SHOWN = 60


def short(node: ast.AST) -> str:
    """``node`` as source, on one line, cut to a length a message can hold."""
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def fold(node: ast.AST) -> str | None:
    """The string value of a constant expression (``'a' + 'b'``, ``f'x'``), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold(node.left), fold(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [fold(v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    return None


def _lead(node: ast.AST) -> str:
    """The constant text an expression starts with ("" when it starts with a value)."""
    whole = fold(node)
    if whole is not None:
        return whole
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Div | ast.Mod):
        left = fold(node.left)
        if left is not None and isinstance(node.op, ast.Add):
            return left + _lead(node.right)
        return _lead(node.left)
    if isinstance(node, ast.JoinedStr) and node.values:
        return _lead(node.values[0])
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name | ast.Attribute):
        name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        if name in ("Path", "PurePath", "PosixPath", "PurePosixPath", "join", "str", "format"):
            return _lead(node.args[0]) if name != "format" else _lead(node.func)
    if isinstance(node, ast.Attribute):
        return _lead(node.value)
    return ""


def _components(node: ast.AST) -> list[str]:
    """Constant strings used as path components: ``/`` operands and path-joining arguments."""
    found = [_lead(node)]
    for child in ast.walk(node):
        if isinstance(child, ast.BinOp) and isinstance(child.op, ast.Div):
            found += [v for v in (fold(child.left), fold(child.right)) if v is not None]
        elif isinstance(child, ast.Call) and isinstance(child.func, ast.Name | ast.Attribute):
            name = child.func.id if isinstance(child.func, ast.Name) else child.func.attr
            if name in ("Path", "PurePath", "PosixPath", "join", "joinpath"):
                found += [v for v in map(fold, child.args) if v is not None]
    return found


def _leaves(parts: list[str]) -> bool:
    """Whether any component is absolute, in the home folder, or climbs with ``..``."""
    return any(p.startswith(("/", "~")) or ".." in re.split(r"[/\\]", p) for p in parts if p)


def _open_call(node: ast.Call, name: str, method: str) -> tuple[ast.AST | None, bool]:
    """(the path an ``open`` call opens, whether it may write), or (None, False)."""
    if name in ("open", "io.open"):
        target, mode = (node.args[0] if node.args else None), (
            node.args[1] if len(node.args) > 1 else None)
    elif method == "open" and isinstance(node.func, ast.Attribute):
        target, mode = node.func.value, node.args[0] if node.args else None
    else:
        return None, False
    mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
    text = "r" if mode is None else fold(mode)
    return target, text is None or any(c in text for c in "wax+")


def file_access(node: ast.Call, name: str, method: str, dotted: Resolver) -> list[str]:
    """Why ``node`` (a call of ``name``, or of the method ``method``) reaches outside: a write
    outside ``tmp_path`` or a read outside the workspace, as far as the source shows."""
    writes: list[ast.AST] = []
    reads: list[ast.AST] = []
    target, writing = _open_call(node, name, method)
    if target is not None:
        (writes if writing else reads).append(target)
    elif name in WRITE_FUNCS or name in READ_FUNCS:
        writes += [node.args[i] for i in WRITE_FUNCS.get(name, ()) if i < len(node.args)]
        reads += [node.args[i] for i in READ_FUNCS.get(name, ()) if i < len(node.args)]
    elif isinstance(node.func, ast.Attribute) and method in WRITE_METHODS:
        writes.append(node.func.value)
    elif isinstance(node.func, ast.Attribute) and method in READ_METHODS:
        reads.append(node.func.value)
    found = [f"writes outside tmp_path: `{short(node)}`" for path in writes
             if _outside_tmp(path, dotted)]
    found += [f"reads outside the workspace: `{short(node)}`" for path in reads
              if _leaves(_components(path))]
    return found


def _outside_tmp(node: ast.AST, dotted: Resolver) -> bool:
    """Whether a written path is (or is built from) somewhere ``tmp_path`` is not."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id == "__file__":
            return True
        if isinstance(child, ast.Attribute) and child.attr == "__file__":
            return True
        if isinstance(child, ast.Call) and (dotted(child.func) or "") in OUTSIDE_CALLS:
            return True
    return _leaves(_components(node))
