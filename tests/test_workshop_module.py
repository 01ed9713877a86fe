"""One source of truth: notebooks/workshop.py is generated from the notebooks' `#@save` definitions.

These tests regenerate it, prove that an edited notebook makes a stale module fail, and check that
nothing is defined twice (a notebook and a hand-written module) or imported behind Python's back.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_code import code_cells

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "tools" / "build_workshop.py"
HAND_WRITTEN = ("cifar10_data.py", "course.py")


def build(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(BUILD), *args], cwd=cwd, capture_output=True, text=True)


def test_committed_workshop_py_is_what_the_notebooks_generate():
    done = build("--check")
    assert done.returncode == 0, done.stderr + done.stdout


@pytest.fixture
def copy_of_notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(path, folder)
    shutil.copy(NOTEBOOKS / "workshop.py", folder)
    return folder


def edit_cell(notebook: Path, old: str, new: str) -> None:
    data = json.loads(notebook.read_text(encoding="utf-8"))
    [cell] = [c for c in data["cells"] if old in "".join(c["source"])]
    cell["source"] = "".join(cell["source"]).replace(old, new)
    notebook.write_text(json.dumps(data), encoding="utf-8")


def test_editing_a_marked_definition_makes_the_module_stale_until_regenerated(copy_of_notebooks):
    notebook = copy_of_notebooks / "01_tensors.ipynb"
    edit_cell(notebook, '        return torch.device("mps")\n',
              '        return torch.device("mps")  # Apple silicon\n')
    stale = build("--check", "--notebooks", str(copy_of_notebooks))
    assert stale.returncode == 1
    assert "pick_device (changed in 01_tensors)" in stale.stderr and "python tools/build_workshop.py" in stale.stderr
    assert build("--notebooks", str(copy_of_notebooks)).returncode == 0
    assert build("--check", "--notebooks", str(copy_of_notebooks)).returncode == 0
    assert 'return torch.device("mps")  # Apple silicon' in (copy_of_notebooks / "workshop.py").read_text()


def test_unmarking_or_newly_marking_a_definition_is_named(copy_of_notebooks):
    edit_cell(copy_of_notebooks / "03_cnn.ipynb", "class Net(nn.Module):  #@save", "class Net(nn.Module):")
    edit_cell(copy_of_notebooks / "03_cnn.ipynb", "def conv_output_size(size, kernel, padding=0, stride=1):",
              "def conv_output_size(size, kernel, padding=0, stride=1):  #@save")
    stale = build("--check", "--notebooks", str(copy_of_notebooks))
    assert stale.returncode == 1
    assert "Net (no notebook marks it any more)" in stale.stderr
    assert "conv_output_size (new in 03_cnn)" in stale.stderr


@pytest.mark.parametrize("old, new, message", [
    ("print(device)", "print(device)  #@save", "marks something that is not a def"),
    ("    return torch.device(\"cpu\")", "    return torch.device(\"cpu\")  #@save", "marks nothing here"),
])
def test_a_marker_that_marks_nothing_is_an_error(copy_of_notebooks, old, new, message):
    notebook = "04_loss_and_optimizer.ipynb" if old == "print(device)" else "01_tensors.ipynb"
    edit_cell(copy_of_notebooks / notebook, old, new)
    done = build("--check", "--notebooks", str(copy_of_notebooks))
    assert done.returncode == 2 and message in done.stderr and notebook in done.stderr


def test_a_name_marked_in_two_notebooks_is_an_error(copy_of_notebooks):
    edit_cell(copy_of_notebooks / "06_gpu.ipynb", "def multiply_adds(model) -> int:",
              "def pick_device() -> int:  #@save")
    done = build("--notebooks", str(copy_of_notebooks))
    assert done.returncode == 2 and "pick_device is marked #@save in both 01_tensors and 06_gpu" in done.stderr


def module_definitions(path: Path) -> dict[str, int]:
    return {node.name: node.lineno for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def notebook_definitions() -> dict[str, str]:
    found = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for source in code_cells(path.name):
            for node in ast.parse(source).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    found.setdefault(node.name, path.stem)
    return found


def test_every_definition_in_workshop_py_names_the_notebook_that_teaches_it():
    lines = (NOTEBOOKS / "workshop.py").read_text(encoding="utf-8").splitlines()
    taught = notebook_definitions()
    for name, line in module_definitions(NOTEBOOKS / "workshop.py").items():
        comment = lines[line - 2]
        assert re.fullmatch(r"# Taught in \d\d_\w+\.ipynb", comment), f"workshop.{name} has no '# Taught in' line"
        assert comment == f"# Taught in {taught[name]}.ipynb", f"workshop.{name}: {comment}; taught in {taught[name]}"


@pytest.mark.parametrize("module", HAND_WRITTEN)
def test_hand_written_modules_hold_no_notebook_code(module):
    twice = set(module_definitions(NOTEBOOKS / module)) & set(notebook_definitions())
    assert not twice, f"{module} and a notebook both define {sorted(twice)}: mark the notebook's with #@save"


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_imports_run_benchmark_to_workshop_to_the_hand_written_modules():
    assert "workshop" in imports_of(ROOT / "benchmarks" / "compare_recipes.py")
    assert not {"cifar10_data", "course"} & imports_of(ROOT / "benchmarks" / "compare_recipes.py")
    assert {"cifar10_data", "course"} <= imports_of(NOTEBOOKS / "workshop.py")
    for module in HAND_WRITTEN:
        assert "workshop" not in imports_of(NOTEBOOKS / module), f"{module} must not import the generated module"


def test_nothing_is_imported_by_file_path_or_after_a_sys_path_edit():
    folders = ("notebooks", "tests", "benchmarks", "tools", "images")
    sources = [p for folder in folders for p in (ROOT / folder).glob("*.py")]
    sources.append(ROOT / "conftest.py")
    texts = {p.name: p.read_text(encoding="utf-8") for p in sources}
    texts |= {nb.name: "\n".join(code_cells(nb.name)) for nb in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    pattern = re.compile(r"sys\.path\.(insert|append)|spec_from_file_location|PYTHONPATH")
    offenders = [name for name, text in texts.items() if name != Path(__file__).name and pattern.search(text)]
    assert not offenders, f"{offenders} change the import path; the workshop is installed editable instead"


def test_notebook_04_runs_with_the_repository_root_as_working_folder():
    """VS Code and nbclient may start the kernel at the top of the repository rather than in notebooks/."""
    notebook = nbformat.read(NOTEBOOKS / "04_loss_and_optimizer.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import os\nprint(os.getcwd())"))
    assert os.environ["WORKSHOP_QUICK"] == "1"  # set by conftest.py; the kernel inherits it
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]["evalue"] if errors else ""
    assert notebook.cells[-1].outputs[0]["text"].strip() == str(ROOT)
