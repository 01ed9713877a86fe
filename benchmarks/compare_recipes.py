"""The PyTorch tutorial's CIFAR-10 recipe against the workshop's best and notebook 07's speedrun, measured on the
same data and device.

    python benchmarks/compare_recipes.py                     # the three recipes on the fastest device found
    python benchmarks/compare_recipes.py --curve             # each at several training budgets, for notebook 07
    python benchmarks/compare_recipes.py --quick             # a smoke run: a tenth of the data, one epoch
    python benchmarks/compare_recipes.py --recipes tutorial --device cpu --epochs 1
    python benchmarks/compare_recipes.py --recipes best --float32   # the best recipe without autocast
    python benchmarks/compare_recipes.py --recipes best --validation --epochs 5   # how 05 chose its settings

(a) "tutorial": the recipe of PyTorch's "Training a Classifier" as published: its `Net`, per-image
    PIL transforms (ToTensor, Normalize with 0.5) through a DataLoader with 2 workers, batch size 4,
    SGD with lr 0.001 and momentum 0.9, 2 epochs, every batch moved to the device.
(b) "best": what the workshop's notebooks end with, built by the same function notebooks 05 and 06
    call, `workshop.best_recipe`: the modern network, the whole data set on the device with
    augmentation done there (workshop.TensorLoader), channels-last memory, the optimiser,
    learning-rate schedule and loss of notebook 05, mixed precision where the device supports it.
(c) "speedrun": notebook 07's airbench-style training, built from the same functions notebook 07 calls
    (workshop.speedrun_settings, workshop.train_speedrun): the CPU-sized network on a CPU, airbench's full width
    on a CUDA GPU, with test-time augmentation (flips and one-pixel shifts) in its test accuracy.

--curve trains every recipe at several budgets (CURVE_EPOCHS: the tutorial's 2 epochs, 2, 4 and 8 for the best
recipe, 2, 4 and its own for the speedrun) and also writes the results as JSON, for notebook 07's plot of test
accuracy against training time (benchmarks/results/accuracy_vs_time-<device type>.json unless --json says where).

For each it prints the training time, the wall time (data, training and test), training images per
second, test accuracy on all 10,000 test images, and peak memory, then the ratios between them.
Each recipe runs in a fresh Python process of its own, so that one recipe's memory does not count
towards the other's peak. It needs CIFAR-10 as the notebooks do (CIFAR10_DIR or the data/ folder).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

import workshop  # installed in editable mode by requirements.txt, like for the notebooks

RECIPES = ("tutorial", "best", "speedrun")
TUTORIAL_EPOCHS, TUTORIAL_BATCH_SIZE, TUTORIAL_WORKERS = 2, 4, 2
QUICK_FRACTION = 10  # --quick keeps every 10th image: 5,000 training and 1,000 test images
CURVE_EPOCHS = {"tutorial": [2], "best": [2, 4, 8], "speedrun": [2, 4]}  # --curve's budgets, below each own
RESULT_PREFIX = "RESULT "


@dataclass
class Result:
    """What one recipe's run measured."""

    recipe: str
    model: str
    device: str
    epochs: int
    batch_size: int
    train_images: int  # images seen in training, all epochs together
    train_seconds: float
    wall_seconds: float  # from loading the data to the test accuracy
    test_accuracy: float  # percent
    peak_memory_mb: float | None
    memory_kind: str
    precision: str = "float32"  # the training's arithmetic: float32, or autocast's lower-precision type

    @property
    def images_per_second(self) -> float:
        return self.train_images / self.train_seconds


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    """The command line: which recipes, on which device, for how many epochs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES),
                        help="which recipes to run, in this order (default: all three)")
    parser.add_argument("--device", default="auto",
                        help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps (default: auto)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs for every recipe (default: each recipe's own: tutorial 2, best "
                             f"{best_recipe_epochs()}, speedrun {workshop.SPEEDRUN['epochs']} on a CPU, "
                             f"{workshop.SPEEDRUN_GPU['epochs']} on a CUDA GPU)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: every {QUICK_FRACTION}th image and 1 epoch unless --epochs says otherwise")
    parser.add_argument("--workers", type=int, default=TUTORIAL_WORKERS,
                        help=f"DataLoader workers of the tutorial recipe (default: {TUTORIAL_WORKERS}, as published)")
    parser.add_argument("--validation", action="store_true",
                        help="train on 45,000 images and measure on the 5,000 that notebook 05 holds back for "
                             "validation, instead of on the test set: how the workshop chose its settings")
    parser.add_argument("--float32", action="store_true",
                        help="train the best recipe in float32 even where autocast would use a 16-bit type")
    parser.add_argument("--curve", action="store_true",
                        help="train each recipe at several budgets (see CURVE_EPOCHS) and write them as JSON too")
    parser.add_argument("--json", type=Path, default=None,
                        help="where --curve writes its JSON (default: benchmarks/results/accuracy_vs_time-"
                             "<device type>.json)")
    parser.add_argument("--one", choices=RECIPES, help=argparse.SUPPRESS)  # internal: run one recipe here
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.curve and args.epochs is not None:
        parser.error("--curve chooses the epochs itself; leave out --epochs")
    if args.workers < 0:
        parser.error("--workers must be 0 or more")
    args.device = resolve_device(args.device)
    return args


def resolve_device(name: str) -> str:
    """'auto' becomes the fastest device present; anything else must be a device PyTorch knows."""
    if name == "auto":
        return str(workshop.pick_device())
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SystemExit(f"--device {name}: not a device name PyTorch knows (try cpu, cuda, mps)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: this PyTorch sees no CUDA GPU (torch.cuda.is_available() is False)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise SystemExit("--device mps: this PyTorch sees no Apple GPU (torch.backends.mps.is_available() is False)")
    return str(device)


def epochs_for(recipe: str, args: argparse.Namespace) -> int:
    """The epochs a recipe trains for: --epochs if given, 1 in a quick run, else the recipe's own."""
    if args.epochs is not None:
        return args.epochs
    if args.quick:
        return 1
    if recipe == "speedrun":
        return workshop.speedrun_settings(args.device).epochs
    return TUTORIAL_EPOCHS if recipe == "tutorial" else best_recipe_epochs()


def curve_epochs(recipe: str, args: argparse.Namespace) -> list[int]:
    """The budgets --curve trains `recipe` for: CURVE_EPOCHS, ending at the recipe's own (1 and 2 in a quick run)."""
    if args.quick:
        return [1] if recipe == "tutorial" else [1, 2]
    own = epochs_for(recipe, args)
    return sorted({e for e in CURVE_EPOCHS[recipe] if e < own} | {own})


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def every_nth(dataset: workshop.CIFAR10Images, n: int) -> workshop.CIFAR10Images:
    """Every n-th image of a data set: the same share of every class, whatever order the images are in."""
    return workshop.CIFAR10Images(dataset.data[::n], dataset.targets[::n], dataset.train,
                                  dataset.transform, dataset.target_transform, dataset.source)


def load_data(quick: bool, validation: bool = False):
    """CIFAR-10's training and test sets (or notebook 05's training and validation parts), every 10th image of
    each in a quick run."""
    train_set, test_set = workshop.load_cifar10(train=True), workshop.load_cifar10(train=False)
    if validation:
        train_set, test_set = workshop.split_validation(train_set)  # notebook 05's 45,000 / 5,000
    if quick:
        train_set, test_set = every_nth(train_set, QUICK_FRACTION), every_nth(test_set, QUICK_FRACTION)
    return train_set, test_set


# ---------------------------------------------------------------------------
# (a) The tutorial's recipe, as published
# ---------------------------------------------------------------------------

def tutorial_transform():
    """The tutorial's per-image transform: to a tensor, then (x - 0.5) / 0.5 in every channel."""
    from torchvision import transforms
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])


def build_tutorial(train_set, test_set, device: str, workers: int = TUTORIAL_WORKERS):
    """The tutorial's model, loaders, loss and optimiser, the model already on `device`."""
    train_set.transform = test_set.transform = tutorial_transform()
    pin = torch.device(device).type == "cuda"
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=TUTORIAL_BATCH_SIZE, shuffle=True,
                                               num_workers=workers, pin_memory=pin)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=TUTORIAL_BATCH_SIZE, shuffle=False,
                                              num_workers=workers, pin_memory=pin)
    torch.manual_seed(0)
    net = workshop.Net().to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    return net, train_loader, test_loader, criterion, optimizer


def train_tutorial(net, train_loader, criterion, optimizer, device: str, epochs: int) -> int:
    """The tutorial's training loop; returns how many images it trained on."""
    seen, start = 0, time.perf_counter()
    for epoch in range(epochs):
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()
            seen += len(labels)
        progress(f"tutorial: epoch {epoch + 1} of {epochs} done after {time.perf_counter() - start:.0f} s")
    return seen


def progress(message: str) -> None:
    """A line on stderr, so a long run shows it is alive (stdout carries the result)."""
    print(message, file=sys.stderr, flush=True)


def test_accuracy(net, test_loader, device: str) -> float:
    """Percent of the test images classified right, counted as the tutorial counts them."""
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            predicted = net(images).argmax(1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return 100 * correct / total


def run_tutorial(train_set, test_set, device: str, epochs: int, workers: int = TUTORIAL_WORKERS,
                 started: float | None = None) -> Result:
    """Train and test the tutorial's recipe; `started` is when the wall clock began (default: now)."""
    started = time.perf_counter() if started is None else started
    net, train_loader, test_loader, criterion, optimizer = build_tutorial(train_set, test_set, device, workers)
    begin = time.perf_counter()
    seen = train_tutorial(net, train_loader, criterion, optimizer, device, epochs)
    workshop.synchronize(device)
    train_seconds = time.perf_counter() - begin
    accuracy = test_accuracy(net, test_loader, device)
    return finish("tutorial", "Net", device, epochs, TUTORIAL_BATCH_SIZE, seen, train_seconds, started, accuracy)


# ---------------------------------------------------------------------------
# (b) The workshop's best recipe
# ---------------------------------------------------------------------------

BEST_EPOCHS = 8  # as notebook 05 trains the modern network


def best_recipe_epochs() -> int:
    """How many epochs the best recipe trains for unless told otherwise."""
    return BEST_EPOCHS


# ---------------------------------------------------------------------------
# (c) Notebook 07's speedrun
# ---------------------------------------------------------------------------

def run_speedrun(train_set, test_set, device: str, epochs: int, started: float | None = None) -> Result:
    """Train and test notebook 07's speedrun with the functions notebook 07 defines, as its cells call them."""
    started = time.perf_counter() if started is None else started
    settings = workshop.speedrun_settings(device, epochs=epochs)
    mean, std = workshop.channel_stats(train_set.data)
    images, labels = workshop.normalised_tensors(train_set, mean, std, device)
    test_images, test_labels = workshop.normalised_tensors(test_set, mean, std, device)
    net, train_seconds = workshop.train_speedrun(images, labels, settings,
                                                 log=lambda line: progress(f"speedrun: {line}"))
    accuracy = workshop.speedrun_accuracy(net, test_images, test_labels, settings.tta_level)
    seen = round(epochs * (len(images) // settings.batch_size)) * settings.batch_size
    amp_dtype = workshop.autocast_dtype(device)
    precision = "float32" if amp_dtype is None else str(amp_dtype).removeprefix("torch.")
    return finish("speedrun", "SpeedNet", device, epochs, settings.batch_size, seen, train_seconds, started, accuracy,
                  precision)


def run_best(train_set, test_set, device: str, epochs: int, started: float | None = None,
             float32: bool = False) -> Result:
    """Train and test the workshop's best recipe, built by `workshop.best_recipe`, with notebook 05's loops."""
    started = time.perf_counter() if started is None else started
    recipe = workshop.best_recipe(train_set, test_set, device, epochs, float32=float32)
    begin = time.perf_counter()
    for epoch in range(epochs):
        loss = workshop.train_one_epoch(recipe.model, recipe.train_loader, recipe.loss_fn, recipe.optimizer, device,
                                        recipe.scheduler, recipe.amp_dtype)
        progress(f"best: epoch {epoch + 1} of {epochs} done after {time.perf_counter() - begin:.0f} s, loss {loss:.3f}")
    workshop.synchronize(device)
    train_seconds = time.perf_counter() - begin
    accuracy = 100 * workshop.evaluate(recipe.model, recipe.test_loader, device, recipe.amp_dtype)
    batch_size = recipe.train_loader.batch_size
    seen = epochs * len(recipe.train_loader) * batch_size
    precision = "float32" if recipe.amp_dtype is None else str(recipe.amp_dtype).removeprefix("torch.")
    return finish("best", "ModernNet", device, epochs, batch_size, seen, train_seconds, started, accuracy,
                  precision)


# ---------------------------------------------------------------------------
# Results: one process per recipe, the table, the ratios
# ---------------------------------------------------------------------------

def finish(recipe, model, device, epochs, batch_size, seen, train_seconds, started, accuracy,
           precision: str = "float32") -> Result:
    """Stop the wall clock and read the peak memory."""
    workshop.synchronize(device)
    wall_seconds = time.perf_counter() - started
    kind = memory_kind(device)
    return Result(recipe, model, device, epochs, batch_size, seen, train_seconds, wall_seconds, accuracy,
                  workshop.peak_memory_mb(device), kind, precision)


MEMORY_NOTES = {
    "process RSS": "the most memory each recipe's own Python process held, data and libraries included "
                   "(DataLoader worker processes not counted)",
    "CUDA tensors": "torch.cuda.max_memory_allocated(), the GPU memory the tensors held at their peak",
    "MPS, held at the end": "the memory the MPS driver held when the recipe ended (MPS counts no peak)",
}


def memory_kind(device: str) -> str:
    """What the peak memory column measures on this device."""
    return {"cuda": "CUDA tensors", "mps": "MPS, held at the end"}.get(torch.device(device).type, "process RSS")


def run_one(recipe: str, args: argparse.Namespace) -> Result:
    """Load the data and run one recipe in this process."""
    started = time.perf_counter()
    train_set, test_set = load_data(args.quick, args.validation)
    epochs = epochs_for(recipe, args)
    if recipe == "tutorial":
        return run_tutorial(train_set, test_set, args.device, epochs, args.workers, started)
    if recipe == "speedrun":
        return run_speedrun(train_set, test_set, args.device, epochs, started)
    return run_best(train_set, test_set, args.device, epochs, started, args.float32)


def run_in_fresh_process(recipe: str, argv: list[str]) -> Result:
    """Run one recipe in a new Python process and read its result, so its peak memory is its own."""
    command = [sys.executable, str(Path(__file__).resolve()), *argv, "--one", recipe]
    if "--curve" in argv:  # a child trains one budget: --curve's own options stay with the parent
        command = [a for a in command if a != "--curve"]
        if "--json" in command:
            at = command.index("--json")
            del command[at:at + 2]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the {recipe} recipe failed (exit status {done.returncode}); its errors are above")
    return Result(**json.loads(lines[-1][len(RESULT_PREFIX):]))


def ratios(baseline: Result, other: Result) -> dict[str, float | None]:
    """How `other` compares with `baseline`: times faster, accuracy points gained, memory ratio."""
    memory = None
    if baseline.peak_memory_mb and other.peak_memory_mb is not None:
        memory = other.peak_memory_mb / baseline.peak_memory_mb
    return {
        "train_speedup": baseline.train_seconds / other.train_seconds,
        "wall_speedup": baseline.wall_seconds / other.wall_seconds,
        "throughput_ratio": other.images_per_second / baseline.images_per_second,
        "accuracy_points": other.test_accuracy - baseline.test_accuracy,
        "memory_ratio": memory,
    }


COLUMNS = ("recipe", "model", "epochs", "batch", "precision", "train time", "wall time", "train images/s",
           "test accuracy", "peak memory")


def format_row(r: Result) -> tuple[str, ...]:
    """One result as the strings of the table's columns."""
    memory = "n/a" if r.peak_memory_mb is None else f"{r.peak_memory_mb:,.0f} MB"
    return (r.recipe, r.model, str(r.epochs), str(r.batch_size), r.precision, f"{r.train_seconds:,.1f} s",
            f"{r.wall_seconds:,.1f} s", f"{r.images_per_second:,.0f}", f"{r.test_accuracy:.2f} %", memory)


def format_table(results: list[Result], accuracy_on: str = "test") -> str:
    """The results as a plain-text table with aligned columns (text left, numbers right)."""
    rows = [tuple(f"{accuracy_on} accuracy" if c == "test accuracy" else c for c in COLUMNS)]
    rows += [format_row(r) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    left = {0, 1, 4}

    def line(row):
        cells = zip(row, widths, strict=True)
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([line(rows[0]), "  ".join("-" * w for w in widths)] + [line(row) for row in rows[1:]])


def times(ratio: float, more: str, less: str) -> str:
    """A ratio in words: 2.0 -> '2.0x more', 0.5 -> '2.0x less'."""
    return f"{ratio:.1f}x {more}" if ratio >= 1 else f"{1 / ratio:.1f}x {less}"


def format_ratios(baseline: Result, other: Result) -> str:
    """One sentence of ratios: `other` against `baseline`."""
    r = ratios(baseline, other)
    memory = "" if r["memory_ratio"] is None else f", {r['memory_ratio']:.2f}x the peak memory"
    return (f"{other.recipe} vs {baseline.recipe}: {times(r['wall_speedup'], 'faster', 'slower')} end to end "
            f"({times(r['train_speedup'], 'faster', 'slower')} in training), "
            f"{r['throughput_ratio']:.1f}x the training images/s, {r['accuracy_points']:+.2f} accuracy points{memory}")


def describe_machine(device: str) -> str:
    """The device, the CPU and the software, for the header of the output."""
    device = torch.device(device)
    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        what = "Apple GPU (MPS)"
    else:
        what = f"CPU, {os.cpu_count()} cores, {torch.get_num_threads()} PyTorch threads"
    return (f"device: {device} ({what}); {platform.system()} {platform.machine()}; Python "
            f"{platform.python_version()}, torch {torch.__version__}")


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.one:  # a child process: run one recipe, print its result as one line of JSON
        print(RESULT_PREFIX + json.dumps(asdict(run_one(args.one, args))), flush=True)
        return
    print(describe_machine(args.device))
    if args.validation:
        share = f"every {QUICK_FRACTION}th of " if args.quick else ""
        print(f"data: {share}notebook 05's split of CIFAR-10's training set: 45,000 images to train on, accuracy on "
              "the 5,000 held back for validation (the test set is not used)")
    elif args.quick:
        print(f"data: every {QUICK_FRACTION}th image of CIFAR-10 (quick run): 5,000 training, 1,000 test images")
    else:
        print("data: CIFAR-10, 50,000 training images; test accuracy on all 10,000 test images")
    sys.stdout.flush()  # before the children write to the same output
    results = []
    for recipe in args.recipes:
        for epochs in curve_epochs(recipe, args) if args.curve else [epochs_for(recipe, args)]:
            print(f"running the {recipe} recipe ({epochs} epoch{'s' if epochs > 1 else ''})...", flush=True)
            child_argv = [*argv, "--epochs", str(epochs)] if args.curve else argv
            results.append(run_in_fresh_process(recipe, child_argv))
    print()
    print(format_table(results, "validation" if args.validation else "test"))
    for kind in sorted({r.memory_kind for r in results}):
        print(f"peak memory ({kind}): {MEMORY_NOTES.get(kind, kind)}")
    baseline = next((r for r in results if r.recipe == "tutorial"), results[0])
    for other in results:
        if other is not baseline and not args.curve:
            print(format_ratios(baseline, other))
    if args.curve:
        path = args.json or Path(__file__).resolve().parent / "results" / (
            f"accuracy_vs_time-{torch.device(args.device).type}.json")
        write_curve(path, results, describe_machine(args.device), argv)
        print(f"written: {path}")


def write_curve(path: Path, results: list[Result], machine: str, argv: list[str]) -> None:
    """The results of --curve as JSON: the command, the machine, and one entry per run."""
    command = " ".join(["python benchmarks/compare_recipes.py", *argv])
    data = {"command": command, "machine": machine, "results": [asdict(r) for r in results]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
