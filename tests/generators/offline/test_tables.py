"""tta_ci.generators.offline.tables: what a test's names stand for (pure)."""

from __future__ import annotations

import ast

from tta_ci.generators.offline.tables import Env, Inline, loop_rows, parametrize_rows, record


def _func(text: str) -> ast.FunctionDef:
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _shown(rows: list[dict[str, ast.expr]]) -> list[dict[str, str]]:
    return [{k: ast.unparse(v) for k, v in row.items()} for row in rows]


def test_parametrize_rows_combine_across_decorators() -> None:
    func = _func('@pytest.mark.parametrize("a, b", [(1, 2), pytest.param(3, 4, id="x")])\n'
                 '@pytest.mark.parametrize(["c"], [5, 6])\ndef test_it(a, b, c):\n    pass\n')
    assert _shown(parametrize_rows(func)) == [
        {"a": "1", "b": "2", "c": "5"}, {"a": "1", "b": "2", "c": "6"},
        {"a": "3", "b": "4", "c": "5"}, {"a": "3", "b": "4", "c": "6"}]


def test_loop_rows_of_a_literal_table_only() -> None:
    loop = ast.parse("for n, want in [(1, 'a'), (2, 'b')]:\n    pass\n").body[0]
    other = ast.parse("for n in range(3):\n    pass\n").body[0]
    assert isinstance(loop, ast.For) and isinstance(other, ast.For)
    assert _shown(loop_rows(loop, Inline(Env())) or []) == [
        {"n": "1", "want": "'a'"}, {"n": "2", "want": "'b'"}]
    assert loop_rows(other, Inline(Env())) is None


def test_assignments_bind_and_method_calls_set_up() -> None:
    env = Env()
    inline = Inline(env)
    for stmt in ast.parse("x = [1, 2]\nbox = Box(x)\nbox.add(3)\ny = eval('1')\n").body:
        record(stmt, env, inline)
    assert ast.unparse(env.values["box"]) == "Box([1, 2])"
    assert [ast.unparse(s) for s in env.setups["box"]] == ["box = Box([1, 2])", "box.add(3)"]
    assert "y" not in env.values
    call = ast.parse("f(*[1, 2], **dict(k=3), x=x)", mode="eval").body
    assert ast.unparse(inline.visit(call)) == "f(1, 2, k=3, x=[1, 2])"
