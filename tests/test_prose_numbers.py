"""The measured figures quoted in the notebooks' prose are the ones their committed outputs print.

The project's rule: "Every number in prose is reproducible: printed by a cell above it, or by a script in the
repository that the prose names." This test holds the prose to it for every figure a re-run can change, so that a
re-run that changes an output cannot leave the text quoting the old number.

What counts as a quoted figure, read in each markdown cell's text with code spans, fenced code, $maths$, link
addresses and HTML tags left out, and thousands commas dropped (6,758 is 6758):

    kind        written as                                    examples
    percent     a number with decimals, then %                57.1 %, 57.1%
    seconds     a number, a space, then the unit s            13 s, 1.5 s, 103 s
    ms          a number, a space, then ms                    97 ms
    minutes     a number with decimals, then minute(s)        1.8 minutes
    images/s    a number, then images/s, at most one word     6,758 images/s, 3,679 training images/s
                between them
    bare        any other number with 3 or more decimals      1.281 (a loss), 2.303
                and 3 or more significant digits

Not read: whole-number percentages ("10 %" of guessing, a per-class "72 %" read off a chart); units written out as
words ("80 seconds", "6,000 images per second", "2 minutes"), which mark a round figure where the symbols %, s, ms
and images/s mark a quoted one; settings with fewer significant digits (a learning rate of 0.001 or 0.016); a
number right after "/" ("1 / 6,500 s" is arithmetic).

Where a figure may come from:
1. the text outputs (stream text and text/plain; not images, not errors) of the code cells above its markdown cell;
2. all text outputs of another notebook that the markdown cell names ("notebook 05", "notebooks 05 and 06",
   "05_training");
3. the committed results of a script the markdown cell names by its path from the top of the repository
   (`benchmarks/compare_recipes.py`): every <the script's folder>/results/*.txt whose name starts with the
   script's name without .py, or whose first line names the script.

A figure matches a number printed with the same unit (a bare figure: any printed number), with at least as many
decimals, that rounds to it: 57.1 % matches "57.1%" and "57.13 %", 13 s matches "13 s" and "12.6 s"; 57.0 % does not
match "56.7%", 57.13 % does not match "57.1%", and 1.3 minutes does not match "77.2 s". After "about", "around",
"roughly", "approximately", "nearly" or "~", a whole number is rounded to its last non-zero digit: about
7,800 images/s matches "7,831 images/s".

A figure that cannot follow the rule goes in ALLOWED, with the reason; an entry that nothing needs any more fails.
Cells are counted as the .ipynb file lists them, from 0, markdown cells included.
"""

import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_FILES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PORTUGUESE_FILES = sorted((ROOT / "notebooks" / "pt-BR").glob("[0-9][0-9]_*.ipynb"))

# (notebook, figure as `Figure.key` writes it): why no output can print it. Keep it short; every entry needs a reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("02_dataloaders.ipynb", "0.16 ms"): "1 / 6,400 s, worked out beside it from the images/s printed above",
    ("04_loss_and_optimizer.ipynb", "2.303"): "ln 10, a constant, in the heading of the section that prints it",
    ("07_going_further.ipynb", "94.01 %"): "airbench's own published result on an A100, cited with its source",
}

# A number as prose and outputs write it: 13, 1.5, 6,758, 6,758.5; not a part of 3.11.7, 2e-05 or x1. In prose, not
# a divisor either: "1 / 6,500 s" is arithmetic, not a duration.
_WHOLE, _END = r"(\d{1,3}(?:,\d{3})+|\d+)", r"(?![\d]|[.,]\d)"
_NUMBER = r"(?<![\w.,])" + _WHOLE + r"(\.\d+)?" + _END
_QUOTED = r"(?<![\w.,/])(?<!/\s)" + _WHOLE + r"(\.\d+)?" + _END
_QUOTED_DECIMAL = r"(?<![\w.,/])(?<!/\s)" + _WHOLE + r"(\.\d+)" + _END
_QUOTED_3_DECIMALS = r"(?<![\w.,/])(?<!/\s)" + _WHOLE + r"(\.\d{3,})" + _END
# The figures of prose, by kind, in the order they are looked for (a span one kind takes is not read again).
PROSE_FIGURES = {
    "percent": _QUOTED_DECIMAL + r"\s?%",
    "minutes": _QUOTED_DECIMAL + r"\sminutes?\b",
    "ms": _QUOTED + r"\sms\b",
    "seconds": _QUOTED + r"\ss\b(?!/)",
    "images/s": _QUOTED + r"\s(?:[a-z]+\s)?images/s\b",
    "bare": _QUOTED_3_DECIMALS,  # with 3 significant digits or more: see quoted_figures
}
# The same kinds in outputs, whose units are read more leniently.
PRINTED = {
    "percent": _NUMBER + r"\s?%",
    "minutes": _NUMBER + r"\s?(?:minutes?|mins?)\b",
    "ms": _NUMBER + r"\s?(?:ms|milliseconds?)\b",
    "seconds": _NUMBER + r"\s?(?:s|secs?|seconds?)\b(?!/)",
    "images/s": _NUMBER + r"\s(?:[a-z]+\s)?(?:images/s|img/s|images per second)\b",
    "bare": _NUMBER,
}
# A word that says the figure after it is rounded, to its last non-zero digit: about 7,800 images/s.
ROUNDED = re.compile(r"(?:\b(?:about|around|roughly|approximately|nearly)|~)\s*$", re.IGNORECASE)
UNITS = {"percent": " %", "minutes": " minutes", "ms": " ms", "seconds": " s", "images/s": " images/s", "bare": ""}
# What prose names as a figure's source.
NAMED_NOTEBOOKS = re.compile(r"\bnotebooks?\s+(\d\d(?:(?:\s*,\s*|\s+and\s+|\s+or\s+)\d\d)*)\b|\b(\d\d)_[a-z]\w*")
NAMED_SCRIPTS = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[\w-]+\.py)\b")
# Text that is not prose: fenced code, code spans, $maths$, link addresses, autolinks, bare URLs, HTML tags.
NOT_PROSE = re.compile(r"```.*?```|(`+).+?\1|\$\$.+?\$\$|\$[^$\n]+\$|\]\([^)]*\)|<https?:[^>]*>|https?://\S+"
                       r"|<[a-zA-Z/][^>]*>", re.DOTALL)


class Figure(NamedTuple):
    kind: str
    value: Decimal
    decimals: int
    start: int = 0  # where the figure is written, in the text it was read from
    end: int = 0

    @property
    def key(self) -> str:
        """The figure, written one way: 57.1 %, 6758 images/s, 1.281."""
        return f"{self.value}{UNITS[self.kind]}"

    def rounds(self, printed: "Figure") -> bool:
        """Whether `printed`, a number of this kind with at least this figure's decimals, rounds to it."""
        return (printed.kind == self.kind and printed.decimals >= self.decimals
                and abs(printed.value - self.value) <= Decimal(5).scaleb(-self.decimals - 1))


class Stale(NamedTuple):
    notebook: str
    cell: int
    figure: Figure
    context: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.figure.key} in \"{self.context}\""


def _figure(kind: str, match: re.Match) -> Figure:
    whole, fraction = match.group(1).replace(",", ""), match.group(2) or ""
    return Figure(kind, Decimal(whole + fraction), len(fraction) - 1 if fraction else 0, match.start(), match.end())


def prose(markdown: str) -> str:
    """`markdown` with everything that is not prose (code, maths, addresses, tags) blanked, at the same offsets."""
    return NOT_PROSE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), markdown)


def quoted_figures(markdown: str) -> list[Figure]:
    """The measured figures a markdown cell quotes, in the order they are written."""
    text, found = prose(markdown), []
    for kind, pattern in PROSE_FIGURES.items():
        for match in re.finditer(pattern, text):
            figure = _figure(kind, match)
            digits = (match.group(1) + (match.group(2) or "")).replace(",", "").replace(".", "")
            if kind == "bare" and len(digits.lstrip("0")) < 3:
                continue  # a setting, such as a learning rate of 0.001 or 0.016, not a measurement
            if not match.group(2) and digits.strip("0") and ROUNDED.search(text[:match.start()]):
                figure = figure._replace(decimals=len(digits.rstrip("0")) - len(digits))  # about 7,800: to 100
            found.append(figure)
            text = text[:match.start()] + " " * (match.end() - match.start()) + text[match.end():]
    return sorted(found, key=lambda f: f.start)


def printed_figures(text: str) -> list[Figure]:
    """Every number an output prints: once as a bare number, and once more with the unit printed after it."""
    return [_figure(kind, m) for kind, pattern in PRINTED.items() for m in re.finditer(pattern, text)]


def output_text(cell) -> str:
    """What a code cell printed as text: its stream output and text/plain results, not images or errors."""
    if cell.cell_type != "code":
        return ""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def named_notebooks(markdown: str) -> set[str]:
    """The two-digit numbers of the notebooks a markdown cell names: "notebook 05", "notebooks 05 and 06"."""
    names = set()
    for match in NAMED_NOTEBOOKS.finditer(markdown):
        names.update(re.findall(r"\d\d", match.group(1) or match.group(2)))
    return names


def script_results(markdown: str, root: Path = ROOT) -> str:
    """The committed results of every script of the repository a markdown cell names by its path."""
    texts = []
    for name in sorted(set(NAMED_SCRIPTS.findall(markdown))):
        script = root / name
        if not script.is_file():
            continue
        for result in sorted((script.parent / "results").glob("*.txt")):
            text = result.read_text(encoding="utf-8")
            first_line = text.partition("\n")[0]
            if result.name.startswith(script.stem) or name in first_line or script.name in first_line:
                texts.append(text)
    return "\n".join(texts)


@functools.cache
def load(path: Path):
    return nbformat.read(path, as_version=4)


def committed_notebooks() -> dict[str, object]:
    """Every notebook of the workshop by its number: {"05": notebook}."""
    return {path.name[:2]: load(path) for path in NOTEBOOK_FILES}


def sentence_around(text: str, start: int, end: int, width: int = 160) -> str:
    """The sentence (or list item) of `text` in which [start, end) is written, on one line, at most `width` long."""
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s)|\n\s*\n|\n\s*(?:[-*]|\d+\.)\s", text[:start])]
    after = re.search(r"[.!?](?=\s|$)|\n\s*\n|\n\s*(?:[-*]|\d+\.)\s", text[end:])
    sentence = text[ends[-1] if ends else 0:end + (after.end() if after else len(text) - end)]
    sentence = " ".join(sentence.split())
    if len(sentence) > width:
        figure = " ".join(text[start:end].split())
        middle = sentence.find(figure) + len(figure) // 2
        left = max(0, min(middle - width // 2, len(sentence) - width))
        cut = sentence[left:left + width]
        sentence = ("..." if left else "") + cut + ("..." if left + width < len(sentence) else "")
    return sentence


def stale_figures(notebook, name: str, others: dict | None = None, root: Path = ROOT) -> list[Stale]:
    """The figures the markdown cells of `notebook` (called `name`) quote that no allowed source prints.

    `others` maps notebook numbers ("05") to the notebooks a cell may name; by default, the workshop's own.
    """
    others = committed_notebooks() if others is None else others
    stale, above = [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            above.extend(printed_figures(output_text(cell)))
            continue
        if cell.cell_type != "markdown":
            continue
        figures = quoted_figures(cell.source)
        if not figures:
            continue
        sources = list(above)
        for number in named_notebooks(cell.source) - {name[:2]}:
            if number in others:
                sources += printed_figures("\n".join(output_text(c) for c in others[number].cells))
        sources += printed_figures(script_results(cell.source, root))
        for figure in figures:
            if not any(figure.rounds(printed) for printed in sources):
                stale.append(Stale(name, index, figure, sentence_around(cell.source, figure.start, figure.end)))
    return stale


# The Portuguese notebooks write figures the Brazilian way (54,6 %, 6.442 imagens/s, cerca de 7.800) and print them
# as Python does (54.6%); their prose is read after turning it into the English notation, their outputs after
# naming the units in English, and then checked by the same rules against their own outputs.
PT_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+)(?![\w]|[.,]\d)")
PT_UNITS = [(r"\bimagens/s\b", "images/s"), (r"\bimagens por segundo\b", "images per second"),
            (r"\bminutos\b", "minutes"), (r"\bminuto\b", "minute")]
PT_WORDS = [(r"\b(?:cerca de|por volta de|aproximadamente|quase|em torno de)(?=\s*\d)", "about"),
            (r"\b(notebooks\s+\d\d(?:\s*,\s*\d\d)*)\s+(?:e|ou)\s+(\d\d)\b", r"\1 and \2")]


def english_units(text: str) -> str:
    for pattern, english in PT_UNITS:
        text = re.sub(pattern, english, text)
    return text


def english_notation(markdown: str) -> str:
    """Portuguese prose with its figures in the English notation: "54,6 %" -> "54.6 %", "6.442" -> "6,442"."""
    swapped = PT_NUMBER.sub(lambda m: m.group(0).replace(".", "\0").replace(",", ".").replace("\0", ","), markdown)
    for pattern, english in PT_WORDS:
        swapped = re.sub(pattern, english, swapped)
    return english_units(swapped)


def read_as_english(notebook):
    """A Portuguese notebook as the checks read it: prose in the English notation, output units named in English."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = english_notation(cell.source)
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.output_type == "stream":
                    output.text = english_units(output.text)
                elif "text/plain" in output.get("data", {}):
                    output.data["text/plain"] = english_units(output.data["text/plain"])
    return notebook


@functools.cache
def portuguese_notebook(path: Path):
    return read_as_english(nbformat.read(path, as_version=4))


HOW_TO_FIX = (
    "These figures in prose are printed by no code cell above them, no notebook and no committed script results "
    "that their cell names.\nRe-run the notebook (tools/run_notebooks.py) and update the prose to what the cell above "
    "it prints; for a figure from a script, name the script and commit its output under <its folder>/results/; "
    "an unavoidable exception goes in ALLOWED in tests/test_prose_numbers.py, with the reason:")


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_figures_in_prose_are_printed_by_an_output(path):
    stale = [s for s in stale_figures(load(path), path.name) if (path.name, s.figure.key) not in ALLOWED]
    assert not stale, HOW_TO_FIX + "\n" + "\n".join(map(str, stale))


@pytest.mark.parametrize("path", PORTUGUESE_FILES, ids=lambda p: f"pt-BR/{p.name}")
def test_figures_in_portuguese_prose_are_printed_by_its_own_outputs(path):
    others = {p.name[:2]: portuguese_notebook(p) for p in PORTUGUESE_FILES}
    stale = [s for s in stale_figures(portuguese_notebook(path), path.name, others)
             if (path.name, s.figure.key) not in ALLOWED]
    assert not stale, HOW_TO_FIX.replace("tools/run_notebooks.py", "tools/run_notebooks.py notebooks/pt-BR/...") + \
        "\n" + "\n".join(f"pt-BR/{s}" for s in stale)


def test_portuguese_figures_are_read_in_the_brazilian_notation():
    text = english_notation("A acurácia foi 54,6 % em 13 s, cerca de 7.800 imagens/s e 1,8 minuto; notebooks 05 e 06.")
    assert text == "A acurácia foi 54.6 % em 13 s, about 7,800 images/s e 1.8 minute; notebooks 05 and 06."
    printed = ("acurácia 54.6%, 12.6 s, 7,831 imagens/s\n",)
    good = "Chegou a 54,6 % em 13 s, cerca de 7.800 imagens/s."
    assert stale_figures(read_as_english(notebook(printed, good)), "00_x.ipynb", others={}) == []
    bad = "Chegou a 54,7 % em 14 s."
    assert [s.figure.key for s in stale_figures(read_as_english(notebook(printed, bad)), "00_x.ipynb", others={})] \
        == ["54.7 %", "14 s"]


def test_every_allowed_figure_is_still_quoted_and_still_unprinted():
    flagged = {(path.name, s.figure.key) for path in NOTEBOOK_FILES for s in stale_figures(load(path), path.name)}
    unneeded = [f"{notebook}: {figure}" for notebook, figure in ALLOWED if (notebook, figure) not in flagged]
    assert not unneeded, "remove these entries from ALLOWED, nothing needs them: " + ", ".join(unneeded)


# The check itself, on small notebooks made here.

def notebook(*cells):
    """A notebook of code cells (given as the text they printed, in a tuple) and markdown cells (a string)."""
    made = nbformat.v4.new_notebook()
    for cell in cells:
        if isinstance(cell, tuple):
            made.cells.append(nbformat.v4.new_code_cell(
                "print(...)", outputs=[nbformat.v4.new_output("stream", text=cell[0])]))
        else:
            made.cells.append(nbformat.v4.new_markdown_cell(cell))
    return made


def test_a_figure_that_the_output_above_does_not_print_is_reported():
    stale = stale_figures(notebook(("accuracy 56.7%\n",), "The model reaches 57.0 % on the test set."), "00_x.ipynb",
                          others={})
    assert [str(s) for s in stale] == ['00_x.ipynb cell 1: 57.0 % in "The model reaches 57.0 % on the test set."']
    assert stale_figures(notebook(("accuracy 56.7%\n",), "The model reaches 56.7 % on the test set."), "00_x.ipynb",
                         others={}) == []


def test_each_kind_of_figure_matches_its_printed_number_rounded_never_a_less_precise_one():
    printed = ("accuracy 56.73%, 12.6 s, 96.8 ms, 1.8 minutes, 6,758.2 images/s, 7,831 images/s, loss 1.2814\n",)
    good = ("56.7 %, 56.73%, 13 s, 97 ms, 1.8 minutes, 6758 images/s, 6,758 training images/s, about 7,800 images/s "
            "and a loss of 1.281.")
    assert stale_figures(notebook(printed, good), "00_x.ipynb", others={}) == []
    bad = ("56.8 %, 56.730 %, 14 s, 96 ms, 108 s (1.8 minutes), 6,759 images/s, 7,800 images/s, about 7,900 images/s, "
           "1.282 and 12.600 (a duration, not a loss).")
    keys = [s.figure.key for s in stale_figures(notebook(printed, bad), "00_x.ipynb", others={})]
    assert keys == ["56.8 %", "56.730 %", "14 s", "96 ms", "108 s", "6759 images/s", "7800 images/s",
                    "7900 images/s", "1.282", "12.600"]


def test_only_outputs_above_count_and_code_links_and_round_figures_are_not_read():
    below = notebook("It reaches 56.7 %.", ("accuracy 56.7%\n",))
    assert [s.figure.key for s in stale_figures(below, "00_x.ipynb", others={})] == ["56.7 %"]
    not_figures = ("Run `sleep 5 s` or see [it](https://example.org/57.1%25/3 s). Guessing is right 10 % of the "
                   "time, an epoch takes about 80 seconds, and $\\ln 10 \\approx 2.303$; Python 3.11.7, 1 / 6,500 s, "
                   "1s and 0s, a learning rate of 0.001.")
    assert quoted_figures(not_figures) == []


def test_a_named_notebook_or_a_named_scripts_committed_results_count(tmp_path):
    other = notebook(("test accuracy 81.5%\n",))
    quote = "The same as notebook 05's run: 81.5 %."
    assert stale_figures(notebook(quote), "06_x.ipynb", others={"05": other}) == []
    assert len(stale_figures(notebook(quote), "06_x.ipynb", others={"04": other})) == 1
    script = tmp_path / "benchmarks" / "compare.py"
    (script.parent / "results").mkdir(parents=True)
    script.write_text("")
    quote = "The benchmark (`benchmarks/compare.py --quick`) reached 54.7 % in 77 s."
    assert len(stale_figures(notebook(quote), "06_x.ipynb", others={}, root=tmp_path)) == 2
    (script.parent / "results" / "cpu.txt").write_text("$ benchmarks/compare.py --quick\ntutorial 77.2 s 54.66 %\n")
    assert stale_figures(notebook(quote), "06_x.ipynb", others={}, root=tmp_path) == []
