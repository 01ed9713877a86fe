"""Read code out of the notebooks and commands out of the README, for tests that run or inspect what a learner
meets; and call a function of one of the tools/ scripts."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def code_cells(notebook: str) -> list[str]:
    """The source of every code cell of `notebooks/<notebook>`, IPython magics left out."""
    cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return ["\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))) for s in sources]


def training_cells(cells) -> list[int]:
    """Indices of the code cells that train (call train_epoch, train_one_epoch or train_speedrun without defining
    it)."""
    sources = ["".join(c["source"]) if c["cell_type"] == "code" else "" for c in cells]
    return [i for i, source in enumerate(sources)
            if re.search(r"\btrain_(one_epoch|epoch|speedrun)\(", source)
            and not re.search(r"def train_(one_epoch|epoch|speedrun)\(", source)]


def printed(cell) -> str:
    """What a code cell printed, with times (which vary) blanked."""
    text = "".join(o.get("text", "") for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == "stdout")
    return re.sub(r"\d+(\.\d+)? (s|minutes)\b", "<time>", text)


def readme_command(marker: str) -> str:
    """The command in the README's code block after `<!-- marker -->` (setup-command, test-command)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(rf"<!-- {marker} -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S).group(1).strip()


def call_in_script(script: str, expression: str):
    """Evaluate `expression` on the functions of tools/<script> (as `script[name]`), in a process of its own.

    The tools are scripts, not modules on the import path; the result must be JSON.
    """
    code = (f"import importlib.metadata, json, runpy; script = runpy.run_path('tools/{script}'); "
            f"print(json.dumps({expression}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)
