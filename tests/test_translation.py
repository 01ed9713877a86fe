"""The Brazilian Portuguese workshop (notebooks/pt-BR/, README.pt-BR.md) is kept in step with the English.

- Every English notebook has its twin, with the same cells in the same order, of the same kinds, with the same
  metadata (tags, slide types) and notebook metadata.
- The code is the English code: the same syntax tree once string constants are blanked (comments are not in the
  tree); IPython lines (%xmode) are compared as written.
- Every cell records a fingerprint of the English cell it translates (tools/translation.py stamp); an English cell
  edited since fails here, by name, until its translation is looked at and stamped again.
- Links and images of the translation resolve; the self-checks answer in Portuguese in the Portuguese notebooks.
- README.pt-BR.md links the English README and back, has the same sections, the same code blocks (the two commands
  are the contract) and a fingerprint of each English section.
"""

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
# tools/translation.py is a script, not a module on the import path: its functions, as the script defines them.
TOOL = runpy.run_path(str(ROOT / "tools" / "translation.py"))
fingerprint, stale_cells, readme_sections = TOOL["fingerprint"], TOOL["stale_cells"], TOOL["readme_sections"]

ENGLISH = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PORTUGUESE = ROOT / "notebooks" / "pt-BR"
README, README_PT = ROOT / "README.md", ROOT / "README.pt-BR.md"


def load(path: Path):
    return nbformat.read(path, as_version=4)


def twins():
    return [pytest.param(path, PORTUGUESE / path.name, id=path.name) for path in ENGLISH]


class _BlankStrings(ast.NodeTransformer):
    def visit_Constant(self, node):
        return ast.copy_location(ast.Constant(""), node) if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node):  # an f-string: its text blanked, its {values} kept
        values = [self.visit(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
        return ast.copy_location(ast.Tuple(values, ast.Load()), node)


def code_shape(source: str) -> str:
    """A code cell with its string constants blanked and comments gone; IPython lines kept as written."""
    magics = [line for line in source.splitlines() if line.lstrip().startswith(("%", "!"))]
    python = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return "\n".join(magics) + "\n" + ast.dump(_BlankStrings().visit(ast.parse(python)))


def test_every_english_notebook_has_its_portuguese_twin_and_no_other():
    english = {p.name for p in ENGLISH}
    portuguese = {p.name for p in PORTUGUESE.glob("*.ipynb")}
    assert english == portuguese, f"without a twin: {sorted(english - portuguese)}; " \
                                  f"with no English: {sorted(portuguese - english)}"


@pytest.mark.parametrize(("english_path", "portuguese_path"), twins())
def test_same_cells_in_the_same_order_with_the_same_metadata(english_path, portuguese_path):
    english, portuguese = load(english_path), load(portuguese_path)
    assert [c.cell_type for c in portuguese.cells] == [c.cell_type for c in english.cells], \
        "the cells differ in number, order or kind"
    assert [c.id for c in portuguese.cells] == [c.id for c in english.cells]
    assert portuguese.metadata == english.metadata
    differing = [i for i, (e, p) in enumerate(zip(english.cells, portuguese.cells, strict=True))
                 if {k: v for k, v in p.metadata.items() if k != "translation"} != e.metadata]
    assert not differing, f"cells whose metadata differs from the English (tools/translation.py sync): {differing}"


@pytest.mark.parametrize(("english_path", "portuguese_path"), twins())
def test_the_code_is_the_english_code_with_only_comments_and_strings_translated(english_path, portuguese_path):
    english, portuguese = load(english_path), load(portuguese_path)
    different = [i for i, (e, p) in enumerate(zip(english.cells, portuguese.cells, strict=True))
                 if e.cell_type == "code" and code_shape(e.source) != code_shape(p.source)]
    assert not different, f"{portuguese_path.name}: code cells that differ from the English beyond comments and " \
                          f"strings: {different}"


@pytest.mark.parametrize(("english_path", "portuguese_path"), twins())
def test_no_english_cell_changed_since_it_was_translated(english_path, portuguese_path):
    english, portuguese = load(english_path), load(portuguese_path)
    stale = stale_cells(english, portuguese)
    assert not stale, (
        f"{english_path.name}: the English of these cells changed since they were translated; update their "
        f"Portuguese in notebooks/pt-BR/{english_path.name}, then run "
        f"`.venv/bin/python tools/translation.py stamp {english_path.name[:2]} {' '.join(map(str, stale))}`:\n"
        + "\n".join(f"  cell {i}: {english.cells[i].source.strip()[:90]!r}" for i in stale))


def test_an_edited_english_cell_is_named_until_its_translation_is_stamped():
    english, portuguese = load(ENGLISH[0]), load(PORTUGUESE / ENGLISH[0].name)
    assert stale_cells(english, portuguese) == []
    english.cells[3].source += " One more sentence."
    assert stale_cells(english, portuguese) == [3]
    portuguese.cells[3].metadata["translation"] = {"source": fingerprint(english.cells[3].source)}
    assert stale_cells(english, portuguese) == []


def test_the_code_comparison_sees_a_changed_name_or_number_but_not_a_translated_string():
    english = 'total = sum(x)\nprint(f"total: {total:.1f} images")  # the sum'
    assert code_shape(english) == code_shape('total = sum(x)\nprint(f"soma: {total:.1f} imagens")  # a soma')
    assert code_shape(english) != code_shape('soma = sum(x)\nprint(f"total: {soma:.1f} images")')
    assert code_shape(english) != code_shape('total = sum(x) + 1\nprint(f"total: {total:.1f} images")')


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("path", sorted(PORTUGUESE.glob("*.ipynb")), ids=lambda p: p.name)
def test_links_and_images_of_the_translation_resolve(path):
    broken = []
    for index, cell in enumerate(load(path).cells):
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(cell.source):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (path.parent / target.split("#")[0]).exists():
                broken.append(f"cell {index}: {target}")
    assert not broken, f"{path.name}: links to files that do not exist: {broken}"


def test_the_portuguese_notebooks_and_readme_use_the_portuguese_readme():
    for path in sorted(PORTUGUESE.glob("*.ipynb")):
        text = "\n".join(c.source for c in load(path).cells if c.cell_type == "markdown")
        assert "README.md" not in text.replace("README.pt-BR.md", ""), f"{path.name} links the English README"


def test_every_self_check_message_has_its_portuguese_with_the_same_fields():
    import course

    source = (ROOT / "notebooks" / "course.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    constants = {n.targets[0].id: n.value.value for n in tree.body
                 if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)}

    def strings(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return strings(node.body) + strings(node.orelse)
        if isinstance(node, ast.Name) and node.id in constants:
            return [constants[node.id]]
        return []

    templates = {s for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "_"
                 for s in strings(n.args[0])}
    assert len(templates) > 30
    missing = sorted(templates - set(course.PORTUGUESE))
    assert not missing, f"self-check messages with no Portuguese in course.PORTUGUESE: {missing}"
    assert not set(course.PORTUGUESE) - templates, "course.PORTUGUESE has entries no message uses"
    fields = re.compile(r"\{[^{}]*\}")
    wrong = [t for t in templates if fields.findall(t) != fields.findall(course.PORTUGUESE[t])]
    assert not wrong, f"translations whose {{}} fields differ from the English: {wrong}"


def test_a_self_check_answers_in_the_language_of_the_notebooks_folder(tmp_path):
    script = "import course; course.check(2, 3, 'Hint.'); course.check(3, 3)"
    folders = {"pt-BR": "Quase: 2 não é a resposta. Hint.\nCorreto!\n", "notebooks": "Not quite: 2 is not the answer. "
               "Hint.\nCorrect!\n"}
    for folder, expected in folders.items():
        (tmp_path / folder).mkdir()
        env = {k: v for k, v in os.environ.items() if k != "WORKSHOP_LANGUAGE"}
        result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path / folder, capture_output=True,
                                text=True, env=env, check=True)
        assert result.stdout == expected


# README.pt-BR.md

FENCE = re.compile(r"```.*?```", re.DOTALL)


def test_the_readmes_link_each_other():
    assert "(README.pt-BR.md)" in README.read_text(encoding="utf-8").split("\n## ")[0]
    assert "(README.md)" in README_PT.read_text(encoding="utf-8").split("\n## ")[0]


def test_the_portuguese_readme_has_the_same_sections_and_the_same_code_blocks():
    english, portuguese = README.read_text(encoding="utf-8"), README_PT.read_text(encoding="utf-8")
    levels = [len(h.split()[0]) for h, _ in readme_sections(english)]
    assert [len(h.split()[0]) for h, _ in readme_sections(portuguese)] == levels
    assert FENCE.findall(portuguese) == FENCE.findall(english), "code blocks differ (the two commands must not)"
    markers = re.compile(r"<!-- [a-z-]+ -->")
    assert markers.findall(portuguese) == markers.findall(english)


def test_no_english_readme_section_changed_since_it_was_translated():
    stale = TOOL["stale_readme_sections"]()
    assert not stale, ("README.md sections changed since README.pt-BR.md translated them; update the translation, "
                       "then `.venv/bin/python tools/translation.py stamp README`: " + "; ".join(stale))
