"""Test settings shared by the unit tests and the notebooks nbval runs."""

import os

# Tests and the notebooks they execute run in quick mode unless told otherwise:
# nbval's kernels inherit this environment. `import workshop` needs no path setting: requirements.txt
# installs the helper modules in editable mode (`-e .`, see pyproject.toml).
os.environ.setdefault("WORKSHOP_QUICK", "1")
