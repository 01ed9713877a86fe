"""Spelling in the prose a learner reads: the notebooks' text, the README and the helper module."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_prose_has_no_common_misspellings(tmp_path):
    files = [ROOT / "README.md", ROOT / "notebooks" / "workshop.py"]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "\n\n".join("".join(c["source"]) for c in cells)  # markdown and code, not outputs
        files.append(tmp_path / f"{notebook.name}.txt")
        files[-1].write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "codespell_lib", *map(str, files)],
                            capture_output=True, text=True)
    assert result.returncode == 0, "misspellings (codespell):\n" + result.stdout.replace(str(tmp_path) + "/", "")
