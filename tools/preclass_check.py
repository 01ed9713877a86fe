"""The pre-class check: run it once after the setup, before the workshop, to know the machine is ready.

    .venv/bin/python tools/preclass_check.py

It checks, each on one line with "ok" or "FIX" and what to do: the Python version, the installed packages
against requirements.txt, PyTorch and the device the notebooks will use, whether that device computes bfloat16
natively, CIFAR-10 (found, complete, and its decoded-image cache warm; a first run decodes or downloads it), and
a timed training step of notebook 05's modern network, from which it estimates how long notebooks 05 and 06 take
to run here. It exits with 1 when any line says FIX. It needs no internet when CIFAR10_DIR names a local copy.

The estimate scales the run times of the committed notebooks by this machine's speed against the machine that
ran them (REFERENCE, below: its own output is in benchmarks/results/preclass_check-cpu.txt).
"""

import importlib.metadata
import os
import platform
import re
import runpy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The machine that made the committed outputs: a 2-core AMD EPYC server CPU with native bfloat16, 28 November
# 2026. `images_per_s` is this check's speed there, the median of four runs (4,374, 3,860, 3,839 and 4,511
# images/s: a shared machine varies by about 10 %; a later run's whole output is in
# benchmarks/results/preclass_check-cpu.txt). The seconds are what tools/run_notebooks.py printed for the
# committed full run of each notebook.
REFERENCE = {"images_per_s": 4117, "notebook_seconds": {"05_training": 262, "06_gpu": 150}}


class Checklist:
    def __init__(self):
        self.failures = 0

    def ok(self, what: str, detail: str):
        print(f"  ok   {what}: {detail}", flush=True)

    def fix(self, what: str, detail: str):
        self.failures += 1
        print(f"  FIX  {what}: {detail}", flush=True)


def python_problem(version) -> str | None:
    """The verdict of check_python.py (the setup's first step) on `version`, for a FIX line."""
    problem = runpy.run_path(str(Path(__file__).with_name("check_python.py")))["problem"](version, None)
    return f"Python {'.'.join(map(str, version[:3]))}: {problem} Delete .venv first." if problem else None


def pinned_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.split("#")[0].strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def package_problems(pins: dict[str, str], installed_version) -> list[str]:
    """'name: installed X, pinned Y' (or 'not installed') for every pin not met; local labels (+cpu) allowed."""
    problems = []
    for name, pinned in pins.items():
        try:
            installed = installed_version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name} not installed")
            continue
        if installed.split("+")[0] != pinned:
            problems.append(f"{name} {installed} (pinned {pinned})")
    return problems


def device_name(device) -> str:
    import torch

    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    from benchmarks.training_step import cpu_name

    return f"{cpu_name()}, {os.cpu_count()} cores"


def main() -> int:
    print("Pre-class check of the CIFAR-10 workshop")
    checks = Checklist()

    problem = python_problem(sys.version_info)
    if problem:
        checks.fix("Python", problem)
    else:
        checks.ok("Python", platform.python_version())

    pins = pinned_versions()
    problems = package_problems(pins, importlib.metadata.version)
    if problems:
        checks.fix("packages", ", ".join(problems) + ". Run pip install -r requirements.txt again with the "
                   "environment's pip (.venv/bin/pip; Windows: .venv\\Scripts\\pip)")
    else:
        checks.ok("packages", f"all {len(pins)} at the versions requirements.txt pins")

    try:
        import torch

        import cifar10_data
        import workshop
    except Exception as error:  # a broken install: say so and stop, the rest needs PyTorch
        checks.fix("PyTorch", f"cannot be imported ({type(error).__name__}: {error}). Run the README's setup again")
        return finish(checks)
    device = workshop.pick_device()
    checks.ok("device", f"{device.type} ({device_name(device)}); the notebooks find it themselves")
    amp_dtype = workshop.autocast_dtype(device)
    if amp_dtype is torch.bfloat16:
        checks.ok("bfloat16", "computed natively: notebooks 05 and 06 train their modern network in bfloat16")
    else:
        precision = "float16" if amp_dtype is torch.float16 else "float32"
        checks.ok("bfloat16", f"not computed natively here: notebooks 05 and 06 train in {precision} (same accuracy)")

    try:
        started = time.perf_counter()
        train = workshop.load_cifar10(train=True)
        test = workshop.load_cifar10(train=False)
        seconds = time.perf_counter() - started
    except workshop.DatasetError as error:
        checks.fix("CIFAR-10", str(error))
        return finish(checks)
    folder, what, _ = cifar10_data.data_folder()
    checks.ok("CIFAR-10", f"{len(train):,} training and {len(test):,} test images, complete, from {what} ({folder})")
    checks.ok("loading", f"{seconds:.1f} s for both splits" + (
        "; later loads are faster, from the cache of decoded images" if seconds > 5 else
        ", from the cache of decoded images or torchvision's files"))

    speed = training_speed(workshop, device, train, test)
    line = f"{speed:,.0f} training images/s for notebook 05's modern network (batches of 256)"
    if device.type == "cpu":
        estimates = [f"{name[:2]} in about {format_minutes(run_seconds * REFERENCE['images_per_s'] / speed)}"
                     for name, run_seconds in REFERENCE["notebook_seconds"].items()]
        line += "; expect full runs of " + " and ".join(estimates)
    else:
        line += "; the reference run times are a CPU's, so no estimate: expect a fraction of them"
    checks.ok("speed", line)
    return finish(checks)


def training_speed(workshop, device, train, test) -> float:
    """Images per second of one training step of notebook 05's best recipe (its ModernNet, batch, precision)."""
    recipe = workshop.best_recipe(train, test, device, epochs=1)
    images, labels = next(iter(recipe.train_loader))
    return workshop.time_training_step(recipe.model, images, labels, warmup=10, repeats=20, amp_dtype=recipe.amp_dtype)


def format_minutes(seconds: float) -> str:
    """An estimate's precision: seconds under a minute and a half, else half minutes."""
    return f"{round(seconds / 30) / 2:g} minutes" if seconds >= 90 else f"{seconds:.0f} s"


def finish(checks: Checklist) -> int:
    if checks.failures:
        print(f"{checks.failures} to fix: see the FIX lines above, then run this check again.")
        return 1
    print("All good: this machine is ready for the workshop.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
