"""Re-run notebooks top to bottom in full (not quick) mode and save them with clean outputs.

    python tools/run_notebooks.py                        # every notebook, in order
    python tools/run_notebooks.py notebooks/05_training.ipynb

Each notebook runs in a fresh "python3" kernel whose working folder is notebooks/, as in
JupyterLab. Then what would only confuse a reader of the committed file is removed: the
state of progress-bar widgets (a fresh clone cannot show them; it would show stalled bars)
and per-cell execution timestamps. It prints how long each notebook took, for the README's
table. Set CIFAR10_DIR first if the data is not in data/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def merge_streams(outputs: list) -> list:
    """Consecutive pieces of one stream as one output, as JupyterLab shows them (a kernel may send a line in parts)."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (previous is not None and output.output_type == previous.output_type == "stream"
                and output.name == previous.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def clean(notebook) -> None:
    """Drop widget state, widget outputs (tqdm's bars) and execution timestamps; join split stream outputs."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams([o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})])


def cell_seconds(cell) -> float | None:
    """How long a code cell ran, from the timestamps nbclient records (None for a cell that did not run)."""
    timing = cell.metadata.get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return None
    started, finished = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                         for key in ("iopub.execute_input", "shell.execute_reply"))
    return round((finished - started).total_seconds(), 2)


def run(path: Path, timings: dict | None = None) -> float:
    """Execute one notebook in place; the seconds it took. `timings` gets each cell's seconds, by notebook."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    if timings is not None:
        timings[path.relative_to(ROOT).as_posix()] = [cell_seconds(c) for c in notebook.cells]
    clean(notebook)
    nbformat.write(notebook, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    parser.add_argument("--timings", type=Path, help="also write each cell's seconds to this JSON file "
                        "(tools/agenda.py reads it)")
    args = parser.parse_args(argv)
    timings = {} if args.timings else None
    os.environ.pop("WORKSHOP_QUICK", None)  # committed outputs come from a full run; the kernel inherits this
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: running...", flush=True)
        print(f"{path.name}: {run(path.resolve(), timings):.0f} s", flush=True)
        if timings is not None:
            args.timings.write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
