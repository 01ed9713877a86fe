"""The environment files agree with each other and with what the code imports."""

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import yaml

from notebook_code import code_cells

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9.+-]*)$")


def requirements() -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    pins = {}
    for line in filter(None, lines):
        if line == "-e .":  # the workshop's own modules, see test_the_workshop_itself_is_installed_editable
            continue
        match = PIN.match(line)
        assert match, f"requirements.txt: '{line}' is not pinned exactly as name==version"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_the_installed_packages_are_the_pinned_versions():
    for name, version in requirements().items():
        installed = importlib.metadata.version(name).split("+")[0]  # torch's "2.14.1+cu130" is release 2.14.1
        assert installed == version, f"{name} {installed} is installed, requirements.txt pins {version}"


def test_workshop_packages_are_all_pinned():
    needed = {"torch", "torchvision", "numpy", "matplotlib", "jupyterlab", "nbval", "pytest", "ipywidgets", "tqdm"}
    assert needed <= set(requirements())


def test_the_workshop_itself_is_installed_editable():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "-e ." in lines, "requirements.txt must install the workshop's modules (`-e .`), so `import workshop` works"
    import workshop
    assert Path(workshop.__file__).resolve() == ROOT / "notebooks" / "workshop.py", "an editable install, not a copy"


def test_environment_yml_installs_requirements_txt_with_python_3_11():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip_section == ["-r requirements.txt"], "environment.yml must install requirements.txt and nothing else"


def imported_modules() -> set[str]:
    sources = [p.read_text(encoding="utf-8") for folder in ("notebooks", "tests", "benchmarks", "images")
               for p in (ROOT / folder).glob("*.py")]
    sources += [cell for nb in (ROOT / "notebooks").glob("*.ipynb") for cell in code_cells(nb.name)]
    modules = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def test_every_imported_package_is_pinned():
    local = {p.stem for folder in ("notebooks", "tests", "benchmarks", "images") for p in (ROOT / folder).glob("*.py")}
    local |= {"benchmarks"}
    distributions = importlib.metadata.packages_distributions()
    pinned = set(requirements())
    for module in imported_modules() - set(sys.stdlib_module_names) - local:
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert owners & pinned, f"'import {module}' needs one of {owners or 'an installed package'} in requirements.txt"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S).group(1).strip()
    ci_lines = [line.split("||")[0].strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines, f".ci/run must run the README's test command '{command}'"
