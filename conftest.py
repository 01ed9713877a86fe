"""Test settings shared by the unit tests and the notebooks nbval runs.

`import workshop` needs no path setting: requirements.txt installs the helper modules in editable
mode (`-e .`, see pyproject.toml).
"""

import atexit
import json
import os
import shutil
import tempfile
import zlib
from pathlib import Path

import pytest

# Tests and the notebooks they execute run in quick mode unless told otherwise: nbval's kernels
# inherit this environment.
os.environ.setdefault("WORKSHOP_QUICK", "1")

# Notebook 05 saves checkpoints; under the tests they go to a temporary folder, never into the
# learner's checkpoints/ (which quick-mode runs would overwrite).
_checkpoints = tempfile.mkdtemp(prefix="workshop-checkpoints-")
os.environ["WORKSHOP_CHECKPOINT_DIR"] = _checkpoints
atexit.register(shutil.rmtree, _checkpoints, ignore_errors=True)


REFERENCE = json.loads((Path(__file__).parent / "tests" / "reference_data.json").read_text())
DATA_COPY_TAG = "depends-on-data-copy"  # cells that print exact pixel-derived values of particular images


def pytest_sessionstart(session):
    """Check once, before anything runs, that CIFAR-10 can be read: without it most tests would fail.

    Also note whether it is the copy the committed outputs were made with (tests/reference_data.json).
    """
    import cifar10_data

    try:
        pixels = {split: cifar10_data.load_cifar10(train=split == "train").data for split in ("train", "test")}
    except cifar10_data.DatasetError as error:
        pytest.exit(f"The tests need CIFAR-10, and it cannot be read: {error}\nSet CIFAR10_DIR to a complete copy "
                    "(.ci/run uses ../shared/cifar10-jpeg), or connect to the internet so that the workshop can "
                    "download it into data/, then run the tests again.", returncode=1)
    session.config.reference_copy = all(
        zlib.crc32(memoryview(data).cast("B")) == REFERENCE[split] for split, data in pixels.items())


def pytest_report_header(config):
    if getattr(config, "reference_copy", True):
        return "CIFAR-10: the copy the committed outputs were made with; every output is compared"
    return (f"CIFAR-10: another copy than the committed outputs were made with (other JPEG noise): cells tagged "
            f"{DATA_COPY_TAG}, which print exact pixel values, run but are not compared")


def pytest_collection_modifyitems(config, items):
    """With another copy of CIFAR-10, do not compare the outputs that print its exact pixel values."""
    if getattr(config, "reference_copy", True):
        return
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None and DATA_COPY_TAG in cell.metadata.get("tags", []):
            item.options["check"] = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so that a fixture can tell whether its test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
