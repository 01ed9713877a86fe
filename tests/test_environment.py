"""The environment files agree with each other and with what the code imports."""

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from notebook_code import call_in_script, code_cells, readme_command

ROOT = Path(__file__).resolve().parent.parent
# The workshop's own modules (editable, see test_the_workshop_itself_is_installed_editable) and its JupyterLab
# settings (see test_the_shipped_jupyterlab_settings_are_installed).
LOCAL_PROJECTS = {"-e .", "./jupyter-config"}
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9.+-]*)$")


def requirements() -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    pins = {}
    for line in filter(None, lines):
        if line in LOCAL_PROJECTS:
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


def test_the_shipped_jupyterlab_settings_are_installed():
    """jupyter-config/ is installed as a package whose files land in the environment's Jupyter folders."""
    installed = {Path(f).name: f.locate() for f in importlib.metadata.files("cifar10-workshop-jupyter-settings")
                 if str(f).endswith(".json") and ".dist-info" not in str(f)}
    shipped = {"jupyter_server_config.json": ROOT / "jupyter-config" / "etc" / "jupyter_server_config.json",
               "cifar10-workshop.json": ROOT / "jupyter-config" / "overrides.d" / "cifar10-workshop.json"}
    assert installed.keys() == shipped.keys(), f"installed settings files: {sorted(installed)}"
    for name, source in shipped.items():
        assert Path(installed[name]).read_text() == source.read_text(), \
            f"the installed {name} differs from {source.relative_to(ROOT)}: run pip install -r requirements.txt again"
    assert str(installed["jupyter_server_config.json"]).endswith(
        "etc/jupyter/jupyter_server_config.json".replace("/", os.sep))
    assert str(installed["cifar10-workshop.json"]).endswith(
        "share/jupyter/lab/settings/overrides.d/cifar10-workshop.json".replace("/", os.sep))
    settings = json.loads(shipped["cifar10-workshop.json"].read_text())["@jupyterlab/apputils-extension:notification"]
    assert settings == {"fetchNews": "false", "checkForUpdates": False}
    assert json.loads(shipped["jupyter_server_config.json"].read_text()) == {"ServerApp": {"allow_root": True}}


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
    local = {p.stem for folder in ("notebooks", "tests", "benchmarks", "images", "tools")
             for p in (ROOT / folder).glob("*.py")}
    local |= {"benchmarks"}
    distributions = importlib.metadata.packages_distributions()
    pinned = set(requirements())
    for module in imported_modules() - set(sys.stdlib_module_names) - local:
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert owners & pinned, f"'import {module}' needs one of {owners or 'an installed package'} in requirements.txt"


def test_ci_runs_the_readme_test_command():
    command = readme_command("test-command")
    ci_lines = [line.split("||")[0].strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines, f".ci/run must run the README's test command '{command}'"


def test_the_setup_checks_python_and_disk_before_downloading_anything():
    steps = [step.strip() for step in readme_command("setup-command").split("&&")]
    assert steps[0] == "python3 tools/check_python.py" and steps[1] == "python3 -m venv .venv", steps
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("python3 tools/check_python.py") < ci.index("python3 -m venv .venv")


def check_python(version: tuple, free_bytes, has_ensurepip=True) -> str | None:
    """What tools/check_python.py says for a Python version and the free disk space."""
    return call_in_script("check_python.py", f"script['problem']({version!r}, {free_bytes!r}, {has_ensurepip!r})")


def test_check_python_stops_an_unsupported_python_with_one_clear_line():
    old = check_python((3, 10, 12, "final", 0), 100 * 10**9)
    assert "Python 3.11 to 3.14" in old and "3.10.12" in old and "\n" not in old
    assert "3.15.0" in check_python((3, 15, 0, "final", 0), None)
    for minor in (11, 12, 13, 14):
        assert check_python((3, minor, 0, "final", 0), 100 * 10**9) is None
    full = check_python((3, 11, 7, "final", 0), 2 * 10**9)
    assert "10 GB" in full and "2.0 GB free" in full
    assert check_python((3, 11, 7, "final", 0), 12 * 10**9) is None
    no_venv = check_python((3, 12, 3, "final", 0), None, has_ensurepip=False)
    assert "sudo apt install python3.12-venv" in no_venv
    # An old Python must be able to read the file to print the message: no syntax newer than Python 3.7's.
    ast.parse((ROOT / "tools" / "check_python.py").read_text(), feature_version=(3, 7))
    assert "f\"" not in (ROOT / "tools" / "check_python.py").read_text(), "no f-strings (Python 3.6+ only)"
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "check_python.py")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == done.stderr == "", "this Python is a supported one"


def test_ci_installs_a_browser_and_a_portuguese_dictionary_and_requires_the_tests_that_use_them():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'missing="chromium"' in ci and 'missing="$missing hunspell hunspell-pt-br"' in ci
    assert "apt-get install -y -qq $missing" in ci
    assert "export WORKSHOP_BROWSER_TESTS=required WORKSHOP_SPELLING=required" in ci
    assert ci.index("WORKSHOP_BROWSER_TESTS=required") < ci.index(".venv/bin/python -m pytest")
