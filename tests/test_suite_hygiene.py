"""The test suite itself, for a contributor: one clear stop without data, and nothing of a learner's touched."""

import os
import re
import subprocess
import sys
from pathlib import Path

import workshop

ROOT = Path(__file__).resolve().parent.parent


def test_without_the_data_the_suite_stops_at_once_with_one_message(tmp_path):
    env = {**os.environ, "CIFAR10_DIR": str(tmp_path / "no-such-folder"), "WORKSHOP_CACHE_DIR": str(tmp_path / "c")}
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/test_basics.py", "-p", "no:nbval", "-o", "addopts="],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode != 0, "a missing data set fails the run, never skips it"
    assert "The tests need CIFAR-10" in output and "Set CIFAR10_DIR" in output
    assert "passed" not in output and "failed" not in output, "no test ran"
    assert len(output.strip().splitlines()) < 10, output


def test_the_tests_write_checkpoints_to_a_temporary_folder_not_the_learners():
    folder = workshop.checkpoint_dir()
    assert folder != ROOT / "checkpoints" and not folder.is_relative_to(ROOT)
    notebook = (ROOT / "notebooks" / "05_training.ipynb").read_text(encoding="utf-8")
    assert "workshop.checkpoint_dir()" in notebook and "REPO_ROOT / \\\"checkpoints\\\"" not in notebook


def test_checkpoint_dir_is_the_workshops_checkpoints_folder_for_a_learner(monkeypatch):
    monkeypatch.delenv("WORKSHOP_CHECKPOINT_DIR")
    assert workshop.checkpoint_dir() == ROOT / "checkpoints"


def test_ci_rebuilds_the_environment_only_in_ci_and_keeps_a_contributors_venv():
    script = (ROOT / ".ci" / "run").read_text()
    guarded = re.search(r'if \[ -n "\$\{CI:-\}" \] \|\| \[ ! -d \.venv \]; then\n\s+rm -rf \.venv\n', script)
    assert guarded, ".ci/run may delete .venv only under CI=... or when there is none"
    assert script.count("rm -rf .venv") == 1


BROWSER_SUITE_ALONE = [sys.executable, "-m", "pytest", "tests/test_browser.py", "-p", "no:nbval", "-o", "addopts=-rs"]


def test_without_chromium_the_browser_tests_skip_in_one_line_that_says_how_to_enable_them(tmp_path):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # the environment's programs, no browser
    env.pop("WORKSHOP_CHROMIUM", None)
    env.pop("WORKSHOP_BROWSER_TESTS", None)
    done = subprocess.run(BROWSER_SUITE_ALONE, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert done.returncode in (0, 5) and len(skipped) == 1, done.stdout[-2000:]  # 5: nothing else was collected
    assert "no Chromium found" in skipped[0] and "sudo apt install chromium" in skipped[0]

    env["WORKSHOP_BROWSER_TESTS"] = "required"  # what .ci/run sets: a missing browser fails the run
    done = subprocess.run(BROWSER_SUITE_ALONE, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "WORKSHOP_BROWSER_TESTS=required, but no Chromium found" in done.stdout
