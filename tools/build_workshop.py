"""Write notebooks/workshop.py from the definitions the notebooks mark with `#@save`.

    python tools/build_workshop.py           # regenerate notebooks/workshop.py
    python tools/build_workshop.py --check   # exit 1, naming what is stale, if it is out of date

A notebook marks a definition that later notebooks reuse by ending its first line with
`#@save` (after `def ...:`, `class ...:` or `NAME = ...`). This script copies every marked
definition, in notebook order and cell order, into the module, each preceded by a comment
naming its notebook; the marker itself is left out of the copy. The imports the copies need
are taken from the notebooks' own import statements. The module also re-exports what the
hand-written modules provide (cifar10_data.py: loading CIFAR-10; course.py: quick mode, the
checkpoint folder and the exercises' self-check), so that a notebook needs only `import workshop`.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"\s*#@save\b.*$")
# Hand-written modules whose names workshop.py re-exports, and which names.
REEXPORTS = {
    "cifar10_data": ["CLASSES", "REPO_ROOT", "CIFAR10Images", "DatasetError", "cache_dir", "load_cifar10"],
    "course": ["check", "check_at_least", "check_model", "checkpoint_dir", "full_or_quick", "quick_mode"],
}
FIRST_PARTY = {"workshop", *REEXPORTS}

HEADER = '''"""What the workshop's notebooks build, in one module, so that every notebook runs on its own.

GENERATED FILE: do not edit it by hand. Every definition below is copied, in notebook order,
from the notebook cell that teaches it, where its first line ends with the marker `#@save`
("later notebooks reuse this"); a comment above each one names its notebook. To change a
definition, edit it in its notebook, then regenerate this file:

    python tools/build_workshop.py

and re-run that notebook and every later one that uses it (python tools/run_notebooks.py).
The tests fail while this file is out of date. What the notebooks use but do not teach is
hand-written beside it and re-exported here: loading CIFAR-10 (cifar10_data.py), and quick
mode, the checkpoint folder and the exercises' self-check (course.py).
"""'''


class MarkError(ValueError):
    """A `#@save` marker that marks nothing, or two marked definitions with one name."""


@dataclass
class Saved:
    """One marked definition: its name, its notebook and its source without the marker."""

    name: str
    notebook: str
    source: str


def code_cells(path: Path) -> list[str]:
    """Each code cell's source, IPython magics and shell lines blanked (line numbers kept)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return ["\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in s.splitlines())
            for s in sources]


def defined_name(node: ast.stmt) -> str | None:
    """The name a top-level def, class or single-target assignment binds, else None."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def saved_in(notebook: Path) -> tuple[list[Saved], list[ast.stmt]]:
    """The marked definitions of one notebook, and all its top-level import statements."""
    saved, imports = [], []
    for number, source in enumerate(code_cells(notebook), start=1):
        lines = source.splitlines()
        marked = {i + 1 for i, line in enumerate(lines) if MARKER.search(line)}
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(node)
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            if node.lineno not in marked:
                continue
            name = defined_name(node)
            if name is None:
                raise MarkError(f"{notebook.name}, code cell {number}, line {node.lineno}: #@save marks "
                                "something that is not a def, a class or NAME = ...")
            marked.discard(node.lineno)
            text = "\n".join(lines[first - 1:node.end_lineno])
            saved.append(Saved(name, notebook.stem, "\n".join(MARKER.sub("", line) for line in text.splitlines())))
        if marked:
            raise MarkError(f"{notebook.name}, code cell {number}, line {min(marked)}: #@save must end the first "
                            "line of a top-level def, class or NAME = ... (it marks nothing here)")
    return saved, imports


def bound_names(node: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """Each name an import statement binds, with the one-name import statement that binds it."""
    found = {}
    for alias in node.names:
        if isinstance(node, ast.Import):
            name = alias.asname or alias.name.split(".")[0]
            found[name] = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
        else:
            name = alias.asname or alias.name
            found[name] = f"from {node.module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
    return found


def top_module(statement: str) -> str:
    return statement.split()[1].split(".")[0]


def import_block(statements: set[str]) -> str:
    """The imports sorted as isort (and ruff) sort them: standard library, third party, this project."""
    def section(statement):
        module = top_module(statement)
        return 0 if module in sys.stdlib_module_names else 2 if module in FIRST_PARTY else 1

    def key(statement):  # plain imports first, then from-imports, each by module, then by name
        return (statement.startswith("from"), statement.split()[1].lower(), statement.lower())

    groups = []
    for number in (0, 1):
        chosen = sorted((s for s in statements if section(s) == number), key=key)
        merged = []  # join from-imports of one module into one statement, as isort does
        for statement in chosen:
            if merged and statement.startswith("from") and merged[-1].startswith(
                    "from " + statement.split()[1] + " import "):
                merged[-1] += ", " + statement.split(" import ", 1)[1]
            else:
                merged.append(statement)
        if merged:
            groups.append("\n".join(merged))
    return "\n\n".join(groups)


def used_names(sources: list[str]) -> set[str]:
    """The global names the definitions read, leaving out those a definition imports for itself."""
    used = set()
    for source in sources:
        tree = ast.parse(source)
        local = {name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                 for name in bound_names(node)}
        used |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - local
    return used


def by_type(name: str) -> tuple[int, str]:
    """isort's order of imported names: CONSTANTS, then Classes, then functions and variables."""
    return (0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2, name)


def build(notebooks_dir: Path) -> tuple[str, list[Saved]]:
    """The text of workshop.py for the notebooks in `notebooks_dir`, and what it holds."""
    saved, importers = [], {}
    for notebook in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        found, imports = saved_in(notebook)
        saved += found
        for node in imports:
            for name, statement in bound_names(node).items():
                if top_module(statement) not in FIRST_PARTY:
                    importers.setdefault(name, statement)  # the first notebook's spelling wins
    seen = {}
    for item in saved:
        if item.name in seen:
            raise MarkError(f"{item.name} is marked #@save in both {seen[item.name]} and {item.notebook}: "
                            "keep one, so that workshop.py has one definition of it")
        seen[item.name] = item.notebook
    needed = used_names([s.source for s in saved])
    imports = {statement for name, statement in importers.items() if name in needed} | {"import sys"}
    reexports = "\n".join(f"from {module} import {', '.join(sorted(names, key=by_type))}  # noqa: F401"
                          for module, names in REEXPORTS.items())
    top = "\n\n".join([HEADER, import_block(imports), reexports,
                       "# Code copied from a notebook may say `workshop.name`; in here, that is this module itself.\n"
                       "workshop = sys.modules[__name__]"])
    definitions = [f"# Taught in {item.notebook}.ipynb\n{item.source}" for item in saved]
    return "\n\n\n".join([top, *definitions]) + "\n", saved


def stale(committed: str, fresh: str, saved: list[Saved]) -> list[str]:
    """What differs between the committed module and a fresh one, in words."""
    def definitions(text):
        found = {}
        for node in ast.parse(text).body:
            name = defined_name(node)
            if name is not None and name != "workshop":
                found[name] = ast.get_source_segment(text, node)
        return found

    try:
        old = definitions(committed)
    except SyntaxError:
        return ["workshop.py does not parse"]
    new, where = definitions(fresh), {s.name: s.notebook for s in saved}
    problems = [f"{name} (changed in {where[name]})" for name in new if name in old and old[name] != new[name]]
    problems += [f"{name} (new in {where[name]})" for name in new if name not in old]
    problems += [f"{name} (no notebook marks it any more)" for name in old if name not in new]
    if not problems:
        problems = ["the header, the imports or the order of the definitions"]
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if workshop.py is stale")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help=argparse.SUPPRESS)
    parser.add_argument("--module", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    module = args.module or args.notebooks / "workshop.py"
    try:
        fresh, saved = build(args.notebooks)
    except MarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    committed = module.read_text(encoding="utf-8") if module.is_file() else ""
    if args.check:
        if committed == fresh:
            print(f"{module.name} is up to date: {len(saved)} definitions from the notebooks")
            return 0
        print(f"{module.name} is stale: " + "; ".join(stale(committed, fresh, saved))
              + ". Regenerate it: python tools/build_workshop.py", file=sys.stderr)
        return 1
    module.write_text(fresh, encoding="utf-8")
    print(f"wrote {module.name}: {len(saved)} definitions from the notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
