"""A learner re-runs cells: every training cell can be run again, and then trains again rather than doing nothing.

Each notebook runs top to bottom in quick mode in one kernel; then every cell that trains is run a second time
in the same kernel, as a learner does after an interrupt or out of curiosity. A second run must not crash
(OneCycleLR refuses to step past its end) and must not be a silent no-op (a finished schedule trains at a
learning rate of 0): it starts over, so it prints the same losses as the first run.
"""

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_code import NOTEBOOKS, printed, training_cells


@pytest.mark.parametrize("name", ["05_training.ipynb", "06_gpu.ipynb", "07_going_further.ipynb"])
def test_every_training_cell_can_be_run_again_and_trains_again(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    training = training_cells(notebook.cells)
    assert len(training) >= (3 if name.startswith("05") else 1)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)  # raises on an error, except in cells tagged raises-exception
        first = {i: printed(notebook.cells[i]) for i in training}
        for i in training:
            client.execute_cell(notebook.cells[i], i)
            again = printed(notebook.cells[i])
            assert ("loss" in again or "accuracy" in again) and again == first[i], \
                f"cell {i} of {name} did not train the same way again"
