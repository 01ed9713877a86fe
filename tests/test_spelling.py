"""Spelling in the prose a learner reads: the notebooks' text, the READMEs, the facilitator's guide and the helper
module."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_prose_has_no_common_misspellings(tmp_path):
    files = [ROOT / "README.md", ROOT / "INSTRUCTORS.md", ROOT / "notebooks" / "workshop.py"]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "\n\n".join("".join(c["source"]) for c in cells)  # markdown and code, not outputs
        files.append(tmp_path / f"{notebook.name}.txt")
        files[-1].write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "codespell_lib", *map(str, files)],
                            capture_output=True, text=True)
    assert result.returncode == 0, "misspellings (codespell):\n" + result.stdout.replace(str(tmp_path) + "/", "")


# The Portuguese prose: notebooks/pt-BR/ and README.pt-BR.md, checked with the pt_BR dictionary of Debian's
# hunspell-pt-br (the VERO dictionary) and the project's word list. Not read: code, formulas, link addresses, HTML,
# an English term in italics after its Portuguese one ("taxa de aprendizado (*learning rate*)"), and the
# "Para saber mais" sections, which list papers and pages by their English titles and authors.
PT_WORDS = ROOT / "tests" / "pt-BR-words.txt"
NOT_PORTUGUESE = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$\n]+\$|\]\([^)]*\)|<https?:[^>]*>|https?://\S+"
                            r"|<[^>]+>|(?<![*\w])\*(?!\*)[^*\n]+?\*(?!\*)", re.DOTALL)


def portuguese_prose() -> dict[str, str]:
    texts = {}
    for path in sorted((ROOT / "notebooks" / "pt-BR").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts[f"pt-BR/{path.name}"] = "\n\n".join(
            "".join(c["source"]) for c in cells
            if c["cell_type"] == "markdown" and not "".join(c["source"]).startswith("## Para saber mais"))
    texts["README.pt-BR.md"] = (ROOT / "README.pt-BR.md").read_text(encoding="utf-8")
    return {name: NOT_PORTUGUESE.sub(" ", text) for name, text in texts.items()}


def unknown_words(text: str) -> set[str]:
    result = subprocess.run(["hunspell", "-d", "pt_BR", "-l"], input=text, capture_output=True, text=True,
                            check=True)
    return set(result.stdout.split())


@pytest.mark.skipif(shutil.which("hunspell") is None and os.environ.get("WORKSHOP_SPELLING") != "required",
                    reason="Portuguese spelling skipped: no hunspell (Debian/Ubuntu: sudo apt install hunspell "
                           "hunspell-pt-br)")
def test_portuguese_prose_is_spelled_right():
    assert shutil.which("hunspell"), "WORKSHOP_SPELLING=required, but hunspell is not installed"
    listed = {line.strip() for line in PT_WORDS.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")}
    assert unknown_words("acurácia época otimizador") == set(), "the pt_BR dictionary is missing (hunspell-pt-br)"
    assert unknown_words("otimizdor") == {"otimizdor"}
    found = {name: sorted(unknown_words(text) - listed) for name, text in portuguese_prose().items()}
    wrong = {name: words for name, words in found.items() if words}
    assert not wrong, ("words the pt_BR dictionary does not know; fix the spelling, or add a technical term to "
                       f"tests/pt-BR-words.txt: {wrong}")
    used = set().union(*(unknown_words(text) for text in portuguese_prose().values()))
    assert not listed - used, f"remove from tests/pt-BR-words.txt, no text uses them: {sorted(listed - used)}"
