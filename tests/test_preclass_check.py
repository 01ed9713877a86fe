"""The pre-class check (tools/preclass_check.py): a pass on a ready machine, a clear FIX line for each problem."""

import os
import re
import subprocess
import sys
from pathlib import Path

from notebook_code import call_in_script

ROOT = Path(__file__).resolve().parent.parent
CHECK = [sys.executable, "tools/preclass_check.py"]


def run_check(**environment) -> subprocess.CompletedProcess:
    env = {**os.environ, **environment}
    return subprocess.run(CHECK, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def in_check(expression: str):
    """Evaluate `expression` on the check's functions (`script[name]`), in a process of its own."""
    return call_in_script("preclass_check.py", expression)


def test_on_a_ready_machine_every_line_is_ok():
    done = run_check()
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines[0] == "Pre-class check of the CIFAR-10 workshop" and lines[-1].startswith("All good")
    checked = [line.split(":")[0].split()[-1] for line in lines[1:-1]]
    assert checked == ["Python", "packages", "device", "bfloat16", "CIFAR-10", "loading", "speed"], lines
    assert all(line.startswith("  ok   ") for line in lines[1:-1])
    assert "50,000 training and 10,000 test images" in done.stdout
    assert "expect full runs of 05 in about" in done.stdout or "no estimate" in done.stdout


def test_a_wrong_data_path_gets_the_loaders_own_message_and_a_failure(tmp_path):
    done = run_check(CIFAR10_DIR=str(tmp_path / "no-such-folder"))
    assert done.returncode == 1
    fix = [line for line in done.stdout.splitlines() if line.startswith("  FIX")]
    assert len(fix) == 1 and fix[0].startswith("  FIX  CIFAR-10: CIFAR10_DIR is") and "which is not a folder" in fix[0]
    assert done.stdout.splitlines()[-1] == "1 to fix: see the FIX lines above, then run this check again."


def test_a_folder_without_cifar10_is_named(tmp_path):
    (tmp_path / "train").mkdir()
    done = run_check(CIFAR10_DIR=str(tmp_path))
    assert done.returncode == 1
    fix = next(line for line in done.stdout.splitlines() if line.startswith("  FIX"))
    assert fix.startswith("  FIX  CIFAR-10:") and f"{tmp_path.name}/train' is partial" in fix, fix


def test_an_unsupported_python_is_a_fix_with_what_to_install():
    message = in_check("script['python_problem']((3, 10, 12, 'final', 0))")
    assert "Python 3.10.12" in message and "3.11 to 3.14" in message and "python3.11" in message
    assert in_check("script['python_problem']((3, 11, 7, 'final', 0))") is None


def test_packages_at_other_versions_are_named_with_their_pins():
    installed = {"torch": "2.14.1+cpu", "numpy": "2.3.0"}
    problems = in_check("script['package_problems']({'torch': '2.14.1', 'numpy': '2.4.6', 'tqdm': '4.70.1'}, "
                        f"lambda name: {installed!r}[name] if name in {installed!r} else "
                        "(_ for _ in ()).throw(importlib.metadata.PackageNotFoundError(name)))")
    assert problems == ["numpy 2.3.0 (pinned 2.4.6)", "tqdm not installed"], "a +cpu build meets its pin"


def test_ci_runs_the_check_and_the_readme_quotes_it():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/python tools/preclass_check.py" in ci
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/python tools/preclass_check.py" in readme
    quoted = (ROOT / "benchmarks" / "results" / "preclass_check-cpu.txt").read_text().splitlines()
    assert quoted[0] == "$ .venv/bin/python tools/preclass_check.py"
    for line in quoted[1:]:
        assert line in readme, f"the README should quote the check's committed output: {line!r}"
    # The estimates it printed follow from its measured speed and REFERENCE, the committed notebooks' run times.
    speed_line = next(line for line in quoted if "  ok   speed:" in line)
    speed = float(re.search(r"speed: ([\d,]+) training images/s", speed_line).group(1).replace(",", ""))
    reference = in_check("script['REFERENCE']['images_per_s']")
    assert abs(speed / reference - 1) < 0.25, "the committed output comes from the machine REFERENCE describes"
    for name, estimate in re.findall(r"(\d\d) in about ([\d.]+ (?:minutes|s))", speed_line):
        expected = in_check(f"script['format_minutes'](next(s for n, s in script['REFERENCE']['notebook_seconds']"
                            f".items() if n.startswith('{name}')) * script['REFERENCE']['images_per_s'] / {speed})")
        assert estimate == expected, f"notebook {name}: the committed output says {estimate}, REFERENCE {expected}"
