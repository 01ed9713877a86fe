"""Read code out of the notebooks, for tests that run or inspect what a notebook teaches."""

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def code_cells(notebook: str) -> list[str]:
    """The source of every code cell of `notebooks/<notebook>`, IPython magics left out."""
    cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return ["\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))) for s in sources]
