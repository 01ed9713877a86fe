"""Read code out of the notebooks, so tests can prove a notebook and workshop.py still agree."""

import ast
import json
import textwrap
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def code_cells(notebook: str) -> list[str]:
    """The source of every code cell of `notebooks/<notebook>`, IPython magics left out."""
    cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return ["\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))) for s in sources]


def _without_docstring(node: ast.AST) -> ast.AST:
    """A copy of a def or class node with docstrings removed, at every level."""
    node = ast.parse(ast.unparse(node)).body[0]
    for item in ast.walk(node):
        body = getattr(item, "body", None)
        if (isinstance(item, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            item.body = body[1:] or [ast.Pass()]
    return node


def definition(source: str, name: str) -> str | None:
    """The def or class called `name` in `source`, normalised (docstrings dropped) for comparison."""
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return ast.dump(_without_docstring(node))
    return None


def notebook_definition(notebook: str, name: str) -> str:
    """The definition of `name` in the notebook (the last one, if a later cell redefines it)."""
    found = [d for d in (definition(s, name) for s in code_cells(notebook)) if d is not None]
    assert found, f"{notebook} defines no {name}"
    return found[-1]


def module_definition(name: str) -> str:
    """The definition of `name` in notebooks/workshop.py."""
    found = definition((NOTEBOOKS / "workshop.py").read_text(encoding="utf-8"), name)
    assert found is not None, f"workshop.py defines no {name}"
    return found
