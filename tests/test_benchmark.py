"""The building blocks of benchmarks/compare_recipes.py; the benchmark itself is too long to run in CI."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import workshop
from benchmarks import compare_recipes

ROOT = Path(__file__).resolve().parent.parent


def result(recipe="tutorial", train_seconds=100.0, wall_seconds=110.0, accuracy=50.0, memory=400.0, images=100_000):
    return compare_recipes.Result(recipe, "Net", "cpu", 2, 4, images, train_seconds, wall_seconds, accuracy,
                                  memory, "process RSS")


def test_defaults_run_all_three_recipes_on_the_detected_device():
    args = compare_recipes.parse_args([])
    assert args.recipes == ["tutorial", "best", "speedrun"]
    assert args.device == str(workshop.pick_device())
    assert args.epochs is None and not args.quick and args.workers == 2


def test_options_are_read():
    args = compare_recipes.parse_args(["--recipes", "best", "--device", "cpu", "--epochs", "3", "--quick",
                                       "--workers", "0"])
    assert (args.recipes, args.device, args.epochs, args.quick, args.workers) == (["best"], "cpu", 3, True, 0)


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--recipes", "mine"], ["--device", "toaster"],
                                  ["--workers", "-1"]])
def test_bad_options_stop_with_a_message(argv):
    with pytest.raises(SystemExit):
        compare_recipes.parse_args(argv)


def test_a_missing_gpu_is_reported_not_crashed_on():
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(SystemExit, match="no CUDA GPU"):
        compare_recipes.parse_args(["--device", "cuda"])


def test_epochs_come_from_the_option_then_quick_mode_then_the_recipe():
    parse = compare_recipes.parse_args
    assert compare_recipes.epochs_for("tutorial", parse([])) == 2
    assert compare_recipes.epochs_for("best", parse([])) == compare_recipes.best_recipe_epochs()
    assert compare_recipes.epochs_for("tutorial", parse(["--quick"])) == 1
    assert compare_recipes.epochs_for("best", parse(["--quick", "--epochs", "3"])) == 3
    assert compare_recipes.epochs_for("speedrun", parse(["--device", "cpu"])) == workshop.SPEEDRUN["epochs"]


def test_the_curve_trains_each_recipe_at_budgets_ending_at_its_own():
    args = compare_recipes.parse_args(["--curve", "--device", "cpu"])
    own = workshop.SPEEDRUN["epochs"]
    assert [compare_recipes.curve_epochs(r, args) for r in compare_recipes.RECIPES] == [[2], [2, 4, 8], [2, 4, own]]
    quick = compare_recipes.parse_args(["--curve", "--quick", "--device", "cpu"])
    assert [compare_recipes.curve_epochs(r, quick) for r in compare_recipes.RECIPES] == [[1], [1, 2], [1, 2]]
    with pytest.raises(SystemExit):
        compare_recipes.parse_args(["--curve", "--epochs", "3"])


def test_the_curve_is_written_as_json_with_its_command_and_machine(tmp_path):
    path = tmp_path / "results" / "curve.json"
    compare_recipes.write_curve(path, [result(), result("best", accuracy=80.0)], "device: cpu", ["--curve"])
    data = json.loads(path.read_text())
    assert data["command"] == "python benchmarks/compare_recipes.py --curve" and data["machine"] == "device: cpu"
    assert [(r["recipe"], r["test_accuracy"]) for r in data["results"]] == [("tutorial", 50.0), ("best", 80.0)]


def test_the_committed_curve_has_every_budget_of_every_recipe():
    data = json.loads((ROOT / "benchmarks" / "results" / "accuracy_vs_time-cpu.json").read_text())
    args = compare_recipes.parse_args(["--curve", "--device", "cpu"])
    runs = sorted((r["recipe"], r["epochs"]) for r in data["results"])
    assert runs == sorted((r, e) for r in compare_recipes.RECIPES for e in compare_recipes.curve_epochs(r, args))
    assert data["command"].startswith("python benchmarks/compare_recipes.py --curve")


def test_ratios_say_how_many_times_faster_and_how_many_points_better():
    r = compare_recipes.ratios(result(), result("best", train_seconds=25.0, wall_seconds=55.0, accuracy=80.5,
                                                memory=600.0, images=500_000))
    assert r["train_speedup"] == pytest.approx(4.0)
    assert r["wall_speedup"] == pytest.approx(2.0)
    assert r["throughput_ratio"] == pytest.approx(20.0)  # 20,000 images/s against 1,000
    assert r["accuracy_points"] == pytest.approx(30.5)
    assert r["memory_ratio"] == pytest.approx(1.5)


def test_ratios_without_a_memory_reading():
    assert compare_recipes.ratios(result(memory=None), result("best"))["memory_ratio"] is None


def test_the_table_lines_up_its_columns():
    table = compare_recipes.format_table([result(), result("best", accuracy=81.234, memory=None)]).splitlines()
    assert len(table) == 4
    assert len({len(line) for line in table}) == 1, "every line of the table has the same width"
    assert table[0].startswith("recipe") and "test accuracy" in table[0]
    assert "1,000" in table[2] and "50.00 %" in table[2] and "400 MB" in table[2]
    assert "81.23 %" in table[3] and table[3].endswith("n/a")
    assert "precision" in table[0] and "float32" in table[2]


def test_the_ratio_sentence():
    sentence = compare_recipes.format_ratios(result(), result("best", train_seconds=50.0, wall_seconds=55.0,
                                                              accuracy=75.0))
    assert sentence.startswith("best vs tutorial: 2.0x faster end to end (2.0x faster in training)")
    assert "+25.00 accuracy points" in sentence and "1.00x the peak memory" in sentence
    slower = compare_recipes.format_ratios(result(), result("best", train_seconds=400.0, wall_seconds=440.0))
    assert slower.startswith("best vs tutorial: 4.0x slower end to end (4.0x slower in training)")


@pytest.fixture(scope="module")
def tiny_data():
    """Every 250th image of real CIFAR-10: 200 training and 40 test images, 20 and 4 of each class."""
    train = compare_recipes.every_nth(workshop.load_cifar10(train=True), 250)
    test = compare_recipes.every_nth(workshop.load_cifar10(train=False), 250)
    return train, test


def test_every_nth_keeps_every_class(tiny_data):
    train, test = tiny_data
    assert len(train) == 200 and len(test) == 40
    assert sorted(set(train.targets)) == list(range(10))
    assert train.data.shape == (200, 32, 32, 3)


def test_the_tutorial_recipe_is_the_published_one(tiny_data):
    train, test = tiny_data
    net, train_loader, test_loader, criterion, optimizer = compare_recipes.build_tutorial(train, test, "cpu", 0)
    assert isinstance(net, workshop.Net) and isinstance(criterion, torch.nn.CrossEntropyLoss)
    assert train_loader.batch_size == test_loader.batch_size == 4
    group = optimizer.param_groups[0]
    assert isinstance(optimizer, torch.optim.SGD) and group["lr"] == 0.001 and group["momentum"] == 0.9
    images, labels = next(iter(train_loader))
    assert images.shape == (4, 3, 32, 32) and images.min() >= -1 and images.max() <= 1  # (x - 0.5) / 0.5


def test_the_tutorial_recipe_runs_and_reports(tiny_data):
    train, test = tiny_data
    r = compare_recipes.run_tutorial(train, test, "cpu", epochs=1, workers=0)
    assert (r.recipe, r.model, r.epochs, r.batch_size, r.train_images) == ("tutorial", "Net", 1, 4, 200)
    correct = r.test_accuracy * len(test) / 100
    assert abs(correct - round(correct)) < 1e-9, "a share of the test images, counted one by one"
    assert r.wall_seconds >= r.train_seconds > 0
    assert r.peak_memory_mb is None or r.peak_memory_mb > 10


@pytest.fixture(scope="module")
def small_data():
    """Every 50th training image (1,000: four batches of 256 but the last is dropped) and every 250th test image."""
    train = compare_recipes.every_nth(workshop.load_cifar10(train=True), 50)
    test = compare_recipes.every_nth(workshop.load_cifar10(train=False), 250)
    return train, test


def test_the_benchmark_builds_the_best_recipe_with_workshops_function(small_data, monkeypatch):
    calls, build = [], workshop.best_recipe

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return build(*args, **kwargs)

    monkeypatch.setattr(workshop, "best_recipe", spy)
    train, test = small_data
    compare_recipes.run_best(train, test, "cpu", epochs=1, float32=True)
    assert len(calls) == 1 and calls[0][0][2:] == ("cpu", 1) and calls[0][1] == {"float32": True}


def test_the_best_recipe_runs_and_reports(small_data):
    train, test = small_data
    r = compare_recipes.run_best(train, test, "cpu", epochs=1)
    assert (r.recipe, r.model, r.epochs, r.batch_size, r.train_images) == ("best", "ModernNet", 1, 256, 768)
    correct = r.test_accuracy * len(test) / 100
    assert abs(correct - round(correct)) < 1e-9 and r.wall_seconds >= r.train_seconds > 0
    dtype = workshop.autocast_dtype("cpu")
    assert r.precision == ("float32" if dtype is None else str(dtype).removeprefix("torch."))


def test_the_speedrun_recipe_runs_notebook_07s_training_and_reports(small_data, monkeypatch):
    calls, train = [], workshop.train_speedrun

    def spy(images, labels, settings, log=print):
        calls.append(settings)
        return train(images, labels, settings, log)

    monkeypatch.setattr(workshop, "train_speedrun", spy)
    train_set, test = small_data
    r = compare_recipes.run_speedrun(train_set, test, "cpu", epochs=1)
    assert (r.recipe, r.model, r.epochs, r.batch_size, r.train_images) == ("speedrun", "SpeedNet", 1, 512, 512)
    assert len(calls) == 1 and calls[0].epochs == 1 and calls[0].widths == workshop.SPEEDRUN["widths"]
    correct = r.test_accuracy * len(test) / 100
    assert abs(correct - round(correct)) < 1e-9 and r.wall_seconds >= r.train_seconds > 0


def test_float32_switches_autocast_off(small_data):
    train, test = small_data
    assert compare_recipes.parse_args(["--float32"]).float32 and not compare_recipes.parse_args([]).float32
    assert compare_recipes.run_best(train, test, "cpu", epochs=1, float32=True).precision == "float32"


def test_validation_holds_back_notebook_05s_5000_images_and_says_so_in_the_table():
    train, validation = compare_recipes.load_data(quick=False, validation=True)
    assert (len(train), len(validation)) == (45_000, 5_000) and validation.train is False
    full = workshop.load_cifar10(train=True)
    order = torch.randperm(50_000, generator=torch.Generator().manual_seed(0)).numpy()  # as notebook 05 splits
    assert np.array_equal(validation.data, full.data[order[45_000:]])
    assert validation.targets == [full.targets[i] for i in order[45_000:]]
    assert compare_recipes.parse_args(["--validation"]).validation
    header = compare_recipes.format_table([result()], "validation").splitlines()[0]
    assert "validation accuracy" in header and "test accuracy" not in header
