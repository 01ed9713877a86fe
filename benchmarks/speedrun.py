"""Notebook 07's speedrun measured the way its claims need: over several seeds, and one ingredient at a time.

    python benchmarks/speedrun.py --seeds 0 1 2 3 4   # the notebook's run with 5 seeds: mean and spread
    python benchmarks/speedrun.py --ablation        # the ablation table of notebook 07's section 10
    python benchmarks/speedrun.py --ablation --epochs 3 --device cpu
    python benchmarks/speedrun.py --quick --ablation   # a smoke run: every 10th image, short epochs

Every run trains with the functions notebook 07 defines (workshop.speedrun_settings, train_speedrun,
speedrun_accuracy) on the detected device, in this process, on all 50,000 training images, and measures the
test accuracy on all 10,000 test images; the training time excludes loading the data and testing.

--seeds trains the notebook's own settings once per seed and prints each run, then the mean and the spread
(the sample standard deviation, and the lowest and highest).

--ablation trains the full speedrun once, then once more with each ingredient switched off (ABLATIONS), all with
seed 0 and --epochs epochs (default ABLATION_EPOCHS, fewer than the notebook trains, so that the runs fit in half
an hour on a 2-core CPU), and prints a Markdown table of the test accuracy and its change against the full run.
Test-time augmentation needs no training: its row is the full run's network measured without it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import workshop  # installed in editable mode by requirements.txt, like for the notebooks
from benchmarks import compare_recipes

ABLATION_EPOCHS = 3
# (row name, the settings that switch the ingredient off)
ABLATIONS = [
    ("patch whitening (random frozen filters instead)", dict(whitening=False)),
    ("identity initialisation (PyTorch's default instead)", dict(identity_init=False)),
    ("batch-norm shifts learning 64x faster (1x instead)", dict(bias_scale=1)),
    ("label smoothing 0.2 (none instead)", dict(label_smoothing=0.0)),
    ("Lookahead weight averaging (none instead)", dict(lookahead=False)),
    ("alternating flips (random flips instead)", dict(alternating_flips=False)),
    ("shifts of up to 2 pixels (none instead)", dict(shift=0)),
    ("progressive resizing (every epoch at 32 x 32 instead)", dict(small_share=0)),
]
QUICK_FRACTION = 10


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--seeds", type=int, nargs="+", help="train once per seed with the notebook's settings")
    what.add_argument("--ablation", action="store_true", help="switch off one ingredient at a time")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"epochs per run (default: the notebook's for --seeds, {ABLATION_EPOCHS} for --ablation)")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: every {QUICK_FRACTION}th image, 2 epochs of batches of 128")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    args.device = compare_recipes.resolve_device(args.device)
    return args


def load(device: str, quick: bool):
    """Training and test images as notebook 07 prepares them: normalised float tensors on `device`."""
    train_set, test_set = workshop.load_cifar10(train=True), workshop.load_cifar10(train=False)
    mean, std = workshop.channel_stats(train_set.data)
    step = QUICK_FRACTION if quick else 1
    images, labels = workshop.normalised_tensors(train_set, mean, std, device)
    test_images, test_labels = workshop.normalised_tensors(test_set, mean, std, device)
    return images[::step], labels[::step], test_images[::step], test_labels[::step]


def settings_for(args: argparse.Namespace, **changes):
    """The notebook's settings on the device, with the epochs (and a quick run's batch size) of this run."""
    epochs = args.epochs or (ABLATION_EPOCHS if args.ablation else None)
    if args.quick:
        changes = {"epochs": epochs or 2, "batch_size": 128, **changes}
    elif epochs is not None:
        changes = {"epochs": epochs, **changes}
    return workshop.speedrun_settings(args.device, **changes)


def train_and_test(data, settings, tta_levels=None):
    """One training run; the test accuracy at the settings' test-time augmentation (and at `tta_levels`)."""
    images, labels, test_images, test_labels = data
    net, seconds = workshop.train_speedrun(images, labels, settings, log=lambda line: print("  " + line,
                                                                                           file=sys.stderr))
    levels = sorted({settings.tta_level, *(tta_levels or [])})
    accuracy = {level: workshop.speedrun_accuracy(net, test_images, test_labels, level) for level in levels}
    return seconds, accuracy


def spread(values: list[float]) -> str:
    """Mean, sample standard deviation, lowest and highest, of one or more values."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.2f} % mean, {sd:.2f} standard deviation, {min(values):.2f} to {max(values):.2f}"


def run_seeds(args, data) -> None:
    accuracies, times = [], []
    for seed in args.seeds:
        settings = settings_for(args, seed=seed)
        seconds, accuracy = train_and_test(data, settings)
        accuracies.append(accuracy[settings.tta_level])
        times.append(seconds)
        print(f"seed {seed}: {settings.epochs} epochs, {seconds:.1f} s of training, test accuracy "
              f"{accuracies[-1]:.2f} %", flush=True)
    print(f"{len(args.seeds)} seeds: test accuracy {spread(accuracies)}; training {statistics.mean(times):.1f} s "
          f"mean, {max(times):.1f} s longest")


def run_ablation(args, data) -> None:
    full = settings_for(args)
    rows = []
    seconds, accuracy = train_and_test(data, full, tta_levels=[0])
    print(f"full speedrun: {accuracy[full.tta_level]:.2f} % in {seconds:.1f} s", flush=True)
    rows.append(("the full speedrun", accuracy[full.tta_level], seconds))
    rows.append((f"test-time augmentation (level 0 instead of {full.tta_level}; no retraining)", accuracy[0], None))
    for name, changes in ABLATIONS:
        seconds_, accuracy_ = train_and_test(data, settings_for(args, **changes))
        print(f"without {name}: {accuracy_[full.tta_level]:.2f} % in {seconds_:.1f} s", flush=True)
        rows.append((name, accuracy_[full.tta_level], seconds_))
    print()
    print(f"{full.epochs} epochs each, seed 0, widths {full.widths}, batches of {full.batch_size}; test accuracy on "
          f"{len(data[2]):,} test images")
    print()
    print(format_ablation(rows))


def format_ablation(rows) -> str:
    """Markdown: the full run, then each ingredient switched off, with its change against the full run."""
    (_, base, _), lines = rows[0], ["| switched off | test accuracy | change | training time |",
                                    "| --- | ---: | ---: | ---: |"]
    for i, (name, accuracy, seconds) in enumerate(rows):
        change = "" if i == 0 else f"{accuracy - base:+.2f}"
        time_ = "" if seconds is None else f"{seconds:.1f} s"
        lines.append(f"| {'nothing: ' + name if i == 0 else name} | {accuracy:.2f} % | {change} | {time_} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    print(compare_recipes.describe_machine(args.device))
    start = time.perf_counter()
    data = load(args.device, args.quick)
    print(f"data: {len(data[0]):,} training and {len(data[2]):,} test images", flush=True)
    run_seeds(args, data) if args.seeds else run_ablation(args, data)
    print(f"whole run: {(time.perf_counter() - start) / 60:.1f} minutes")


if __name__ == "__main__":
    main()
