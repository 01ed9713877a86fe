"""Test settings shared by the unit tests and the notebooks nbval runs.

`import workshop` needs no path setting: requirements.txt installs the helper modules in editable
mode (`-e .`, see pyproject.toml).
"""

import atexit
import os
import shutil
import tempfile

import pytest

# Tests and the notebooks they execute run in quick mode unless told otherwise: nbval's kernels
# inherit this environment.
os.environ.setdefault("WORKSHOP_QUICK", "1")

# Notebook 05 saves checkpoints; under the tests they go to a temporary folder, never into the
# learner's checkpoints/ (which quick-mode runs would overwrite).
_checkpoints = tempfile.mkdtemp(prefix="workshop-checkpoints-")
os.environ["WORKSHOP_CHECKPOINT_DIR"] = _checkpoints
atexit.register(shutil.rmtree, _checkpoints, ignore_errors=True)


def pytest_sessionstart(session):
    """Check once, before anything runs, that CIFAR-10 can be read: without it most tests would fail."""
    import cifar10_data

    try:
        for train in (True, False):
            cifar10_data.load_cifar10(train=train)
    except cifar10_data.DatasetError as error:
        pytest.exit(f"The tests need CIFAR-10, and it cannot be read: {error}\nSet CIFAR10_DIR to a complete copy "
                    "(.ci/run uses ../shared/cifar10-jpeg), or connect to the internet so that the workshop can "
                    "download it into data/, then run the tests again.", returncode=1)
