"""What a learner meets on opening a committed notebook: a clean run, no errors, no leaked paths."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# The English notebooks and their Brazilian Portuguese twins: a learner opens either.
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) + sorted(NOTEBOOKS.glob("pt-BR/[0-9][0-9]_*.ipynb"))
# Absolute paths of the machine a notebook ran on, in the shapes of Linux, macOS and Windows.
MACHINE_PATH = re.compile(r"(/home/|/Users/|/root/|/work/|/tmp/|site-packages|[A-Za-z]:\\\\)")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_workshop_has_notebooks():
    assert NOTEBOOK_FILES, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_committed_outputs_come_from_one_clean_run(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: execution counts {counts}; re-run top to bottom"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_no_error_outputs_except_where_tagged(path):
    for number, cell in enumerate(c for c in load(path)["cells"] if c["cell_type"] == "code"):
        tags = cell["metadata"].get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if "raises-exception" in tags:
            assert errors, f"{path.name} code cell {number + 1} is tagged raises-exception but raised nothing"
        else:
            assert not errors, f"{path.name} code cell {number + 1} has an error output"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_no_machine_paths_in_outputs(path):
    for number, cell in enumerate(c for c in load(path)["cells"] if c["cell_type"] == "code"):
        text = json.dumps([{k: v for k, v in o.get("data", o).items() if not k.startswith("image/")}
                           for o in cell["outputs"]])
        match = MACHINE_PATH.search(text)
        assert not match, f"{path.name} code cell {number + 1} output shows a machine path ({match.group(0)})"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_small_enough_to_open_quickly(path):
    assert path.stat().st_size < 2_000_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_opens_with_the_standard_python3_kernel(path):
    assert load(path)["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_prose_before_every_code_cell(path):
    cells = load(path)["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            assert i > 0 and cells[i - 1]["cell_type"] == "markdown", (
                f"{path.name}: code cell starting {''.join(cell['source'])[:60]!r} has no explanation before it")


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_no_images_from_the_web(path):
    for cell in load(path)["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            assert not re.search(r"!\[[^\]]*\]\(\s*https?:|<img[^>]+src=[\"']https?:", source), (
                f"{path.name}: an image from the web does not show offline; put it in images/")


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_solutions_open_collapsed(path):
    """A learner does not see the worked solutions by accident: JupyterLab opens their heading collapsed.

    JupyterLab 4 reads the cell metadata `jp-MarkdownHeadingCollapsed` and then hides the cells below the heading,
    up to the next heading of the same or a higher level; the heading's own cell stays visible, so it holds the
    heading and a line of introduction only. The section after the solutions starts a cell of its own with its
    heading, so that it stays visible.
    """
    cells = load(path)["cells"]
    portuguese = path.parent.name == "pt-BR"
    title, first = ("## Soluções", "Solução 1") if portuguese else ("## Solutions", "Solution 1")
    starts = [i for i, c in enumerate(cells)
              if c["cell_type"] == "markdown" and "".join(c["source"]).startswith(title)]
    assert len(starts) == 1, f"{path.name}: {len(starts)} markdown cells start with '{title}', expected 1"
    heading = cells[starts[0]]
    text = "".join(heading["source"])
    assert heading["metadata"].get("jp-MarkdownHeadingCollapsed") is True, (
        f"{path.name}: the '## Solutions' cell lacks the metadata \"jp-MarkdownHeadingCollapsed\": true")
    assert len(text.strip().split("\n\n")) <= 2 and first not in text and "`" not in text, (
        f"{path.name}: the '## Solutions' cell shows more than its heading and an introduction: {text[:200]!r}")
    for cell in cells[starts[0] + 1:]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and re.search(r"^#{1,2} ", source, re.MULTILINE):
            assert re.match(r"#{1,2} ", source), (
                f"{path.name}: the heading that ends the solutions must start its own cell: {source[:80]!r}")
            break


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_no_markdown_cell_is_a_wall_of_text(path):
    """One idea per cell: a long explanation is split beside the code it explains (200 words at most; 240 in the
    Portuguese twins, since the same text takes about a fifth more words in Portuguese)."""
    limit = 240 if path.parent.name == "pt-BR" else 200
    walls = [(i, len("".join(c["source"]).split())) for i, c in enumerate(load(path)["cells"])
             if c["cell_type"] == "markdown" and len("".join(c["source"]).split()) > limit]
    assert not walls, f"{path.name}: markdown cells (index, words) over {limit} words: {walls}"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_no_progress_bar_widgets_saved(path):
    """A saved progress bar cannot be shown by a fresh clone: it would read `training: 0%| | 0/1407`, a stall.

    tools/run_notebooks.py drops them; a notebook saved from JupyterLab after a run keeps them, with the state of
    every widget in its metadata.
    """
    notebook = load(path)
    assert "widgets" not in notebook["metadata"], \
        f"{path.name} carries saved widget state; re-run it with tools/run_notebooks.py"
    for number, cell in enumerate(c for c in notebook["cells"] if c["cell_type"] == "code"):
        kinds = {kind for output in cell["outputs"] for kind in output.get("data", {})}
        assert "application/vnd.jupyter.widget-view+json" not in kinds, \
            f"{path.name} code cell {number + 1} holds a saved progress bar; re-run it with tools/run_notebooks.py"


# How every deck is shown (RISE reads these from the notebook's metadata): the slide fills the screen with no
# scaling, starts at the top, and moves without animation, which a slow projector or a shared screen turns to mush.
RISE_SETTINGS = {"width": "100%", "height": "100%", "center": False, "transition": "none", "theme": "white",
                 "slideNumber": True, "scroll": False}
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "notes", "skip"}


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_every_cell_has_its_place_in_the_slides(path):
    """Slide metadata is chosen for every cell, so that a new cell cannot slip into a deck unplaced: a section heading
    (##) starts a slide, a ### heading at least a sub-slide, and the notebook's title opens the deck."""
    notebook = load(path)
    assert notebook["metadata"].get("rise") == RISE_SETTINGS, f"{path.name}: the notebook's RISE settings"
    kinds = [c["metadata"].get("slideshow", {}).get("slide_type") for c in notebook["cells"]]
    unplaced = [i for i, kind in enumerate(kinds) if kind not in SLIDE_TYPES]
    assert not unplaced, f"{path.name}: cells with no slide type (View > Property Inspector, or Shift+I / Shift+B " \
                         f"for a slide or sub-slide): {unplaced}"
    assert kinds[0] == "slide", f"{path.name}: the title cell should open the deck as a slide"
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and source.startswith("## "):
            assert kinds[index] == "slide", f"{path.name} cell {index} ({source.splitlines()[0]!r}) starts a slide"
        if cell["cell_type"] == "markdown" and source.startswith("### "):
            assert kinds[index] in ("slide", "subslide"), f"{path.name} cell {index} starts at least a sub-slide"
