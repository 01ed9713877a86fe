"""From the PyTorch tutorial's recipe to the workshop's best, one ingredient at a time: notebook 05's ablation table.

    python benchmarks/ablation.py                  # every step (about 7 minutes on a 2-core CPU)
    python benchmarks/ablation.py --quick          # a smoke run: every 10th image, 1 epoch per step
    python benchmarks/ablation.py --steps tutorial schedule --device cpu
    python benchmarks/ablation.py --amp            # train in bfloat16/float16 where the device supports it

Every step trains on notebook 05's 45,000 training images and reports its accuracy on the 5,000 validation
images held back from them (`workshop.split_validation`); the test set is not used. Each step adds one
ingredient to the step before it:

 1. tutorial         PyTorch's "Training a Classifier" as published: Net, batches of 4, SGD lr 0.001 with
                     momentum 0.9, 2 epochs, per-image transforms in a DataLoader (benchmarks/compare_recipes.py)
 2. batch 32         batches of 32 with lr 0.005 (constant), whole-tensor loader: notebook 05's first loop
 3. schedule         the learning rate starts 4 times higher, at 0.02, and falls linearly to 0: notebook 05's
                     second run
 4. recipe optimizer 8 epochs, batches of 256, one-cycle SGD with Nesterov momentum and weight decay
                     (workshop.best_recipe with Net, without augmentation or label smoothing). Net's peak
                     learning rate is 0.2, not the recipe's 0.4: without batch norm, Net does not train
                     well with steps that large (--net-max-lr compares)
 5. augmentation     + random crops and flips
 6. label smoothing  + label smoothing 0.1: the whole recipe, on Net
 7. ModernNet        the same recipe with notebook 03's ModernNet instead of Net: the workshop's best
 8. test-time flips  + each validation image also seen mirrored (workshop.FlipAveraged); no training

So step 6 against step 3 is what the recipe gives the tutorial's network, and step 7 against step 6 is
what the network adds on top. Precision is held at float32 unless --amp, so that the figures hold for any
CPU; notebook 05 trains ModernNet in bfloat16 where the CPU has it, which is faster and about as accurate.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

import workshop
from benchmarks import compare_recipes

STEPS = ("tutorial", "batch 32", "schedule", "recipe optimizer", "augmentation", "label smoothing",
         "ModernNet", "test-time flips")
RECIPE_EPOCHS = 8  # as notebook 05 trains ModernNet
MODERN_MAX_LR = 0.4  # best_recipe's own peak learning rate
NET_MAX_LR = 0.2  # 0.4 suits ModernNet, whose batch norm keeps large steps stable, but not Net (--net-max-lr)


@dataclass
class Row:
    """What one step measured."""

    step: str
    model: str
    epochs: int
    batch_size: int
    precision: str
    train_seconds: float
    accuracy: float  # percent of the validation images


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", nargs="+", choices=STEPS, metavar="STEP", default=list(STEPS),
                        help="which steps to run (default: all): " + ", ".join(f"'{s}'" for s in STEPS))
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    parser.add_argument("--quick", action="store_true", help="a smoke run: every 10th image, 1 epoch per step")
    parser.add_argument("--net-max-lr", type=float, default=NET_MAX_LR,
                        help=f"the one-cycle schedule's peak learning rate for Net in steps 4-6 "
                             f"(default: {NET_MAX_LR}; ModernNet's is the recipe's own {MODERN_MAX_LR})")
    parser.add_argument("--amp", action="store_true",
                        help="steps 4-8 in the lower precision notebook 05 would pick (default: float32)")
    args = parser.parse_args(argv)
    args.device = compare_recipes.resolve_device(args.device)
    if "test-time flips" in args.steps and "ModernNet" not in args.steps:
        parser.error("'test-time flips' evaluates the network trained in the 'ModernNet' step: run both")
    return args


def net_run(train_set, val_set, device, epochs: int, schedule: bool) -> tuple[float, float]:
    """Steps 2 and 3: notebook 05's Net runs, seeded and normalised the same way; (seconds of training, accuracy %)."""
    mean, std = workshop.channel_stats(np.concatenate([train_set.data, val_set.data]))  # all 50,000, as in 05
    train_loader = workshop.TensorLoader(train_set, 32, mean, std, shuffle=True, device=device)
    val_loader = workshop.TensorLoader(val_set, 1000, mean, std, device=device)
    torch.manual_seed(0)
    model = workshop.Net().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02 if schedule else 0.005, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0,
                                                  total_iters=epochs * len(train_loader)) if schedule else None
    start = time.perf_counter()
    for _ in range(epochs):
        workshop.train_one_epoch(model, train_loader, nn.CrossEntropyLoss(), optimizer, device, scheduler)
    workshop.synchronize(device)
    seconds = time.perf_counter() - start
    return seconds, 100 * workshop.evaluate(model, val_loader, device)


def recipe_run(train_set, val_set, device, epochs: int, network, augment: bool, label_smoothing: bool,
               amp: bool, max_lr: float):
    """Steps 4 to 7: workshop.best_recipe with some ingredients taken out, and for Net its own peak learning
    rate; (seconds, accuracy %, recipe)."""
    recipe = workshop.best_recipe(train_set, val_set, device, epochs, float32=not amp, network=network,
                                  max_lr=max_lr)
    recipe.train_loader.augment = augment
    if not label_smoothing:
        recipe.loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        workshop.train_one_epoch(recipe.model, recipe.train_loader, recipe.loss_fn, recipe.optimizer, device,
                                 recipe.scheduler, recipe.amp_dtype)
    workshop.synchronize(device)
    seconds = time.perf_counter() - start
    accuracy = 100 * workshop.evaluate(recipe.model, recipe.test_loader, device, recipe.amp_dtype)
    return seconds, accuracy, recipe


def precision_of(recipe) -> str:
    return "float32" if recipe.amp_dtype is None else str(recipe.amp_dtype).removeprefix("torch.")


def run(args: argparse.Namespace) -> list[Row]:
    """Every requested step, in order, each printed as soon as it is done."""
    train_set, val_set = compare_recipes.load_data(args.quick, validation=True)
    device = torch.device(args.device)
    short, recipe_epochs = (1, 1) if args.quick else (2, RECIPE_EPOCHS)
    rows, modern = [], None
    for step in args.steps:
        compare_recipes.progress(f"{step}: training...")
        if step == "tutorial":
            r = compare_recipes.run_tutorial(train_set, val_set, args.device, short)
            row = Row(step, "Net", short, compare_recipes.TUTORIAL_BATCH_SIZE, "float32", r.train_seconds,
                      r.test_accuracy)
        elif step in ("batch 32", "schedule"):
            seconds, accuracy = net_run(train_set, val_set, device, short, schedule=step == "schedule")
            row = Row(step, "Net", short, 32, "float32", seconds, accuracy)
        elif step == "test-time flips":
            accuracy = 100 * workshop.evaluate(workshop.FlipAveraged(modern.model), modern.test_loader, device,
                                               modern.amp_dtype)
            row = Row(step, "ModernNet", recipe_epochs, 256, precision_of(modern), 0.0, accuracy)
        else:
            position = STEPS.index(step)
            network = workshop.ModernNet if step == "ModernNet" else workshop.Net
            seconds, accuracy, recipe = recipe_run(
                train_set, val_set, device, recipe_epochs, network, augment=position >= STEPS.index("augmentation"),
                label_smoothing=position >= STEPS.index("label smoothing"), amp=args.amp,
                max_lr=MODERN_MAX_LR if network is workshop.ModernNet else args.net_max_lr)
            modern = recipe if step == "ModernNet" else modern
            row = Row(step, network.__name__, recipe_epochs, 256, precision_of(recipe), seconds, accuracy)
        rows.append(row)
        compare_recipes.progress(f"{step}: {row.accuracy:.1f} % after {row.train_seconds:.0f} s of training")
    return rows


def format_table(rows: list[Row]) -> str:
    """The rows as a Markdown table, ready to paste into notebook 05."""
    lines = ["| step | model | epochs | batch | precision | training time | validation accuracy | change |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    previous = None
    for r in rows:
        change = "" if previous is None else f"{r.accuracy - previous:+.1f}"
        seconds = "none" if r.step == "test-time flips" else f"{r.train_seconds:.0f} s"
        lines.append(f"| {r.step} | {r.model} | {r.epochs} | {r.batch_size} | {r.precision} | {seconds} "
                     f"| {r.accuracy:.1f} % | {change} |")
        previous = r.accuracy
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    print(compare_recipes.describe_machine(args.device))
    share = "every 10th image of " if args.quick else ""
    print(f"data: {share}notebook 05's split: 45,000 training images, accuracy on the 5,000 validation images")
    sys.stdout.flush()
    rows = run(args)
    print()
    print(format_table(rows))


if __name__ == "__main__":
    main()
