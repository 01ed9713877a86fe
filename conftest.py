"""Test settings shared by the unit tests and the notebooks nbval runs."""

import os
import sys
from pathlib import Path

# Tests and the notebooks they execute run in quick mode unless told otherwise:
# nbval's kernels inherit this environment.
os.environ.setdefault("WORKSHOP_QUICK", "1")

REPO_ROOT = Path(__file__).resolve().parent
NOTEBOOKS = REPO_ROOT / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))  # so that tests can `import workshop`
