"""benchmarks/ablation.py: every step runs, each adds what it says, and the table is what notebook 05 quotes."""

from pathlib import Path

import pytest

import workshop
from benchmarks import ablation, compare_recipes


@pytest.fixture(scope="module")
def small_split():
    """Every 50th image of notebook 05's split: 900 training and 100 validation images."""
    train, val = workshop.split_validation(workshop.load_cifar10(train=True))
    return compare_recipes.every_nth(train, 50), compare_recipes.every_nth(val, 50)


def test_every_step_runs_once_in_order_and_reports(small_split, monkeypatch):
    monkeypatch.setattr(compare_recipes, "load_data", lambda quick, validation=False: small_split)
    built = []
    real = workshop.best_recipe

    def spy(*args, **kwargs):
        built.append((kwargs["network"], kwargs["max_lr"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(workshop, "best_recipe", spy)
    rows = ablation.run(ablation.parse_args(["--quick", "--device", "cpu"]))
    assert [r.step for r in rows] == list(ablation.STEPS)
    assert [r.model for r in rows] == ["Net"] * 6 + ["ModernNet"] * 2
    assert [r.batch_size for r in rows] == [4, 32, 32, 256, 256, 256, 256, 256]
    assert built == [(workshop.Net, ablation.NET_MAX_LR)] * 3 + [(workshop.ModernNet, 0.4)]
    for r in rows:
        assert 0 <= r.accuracy <= 100 and abs(r.accuracy - round(r.accuracy)) < 1e-9, "a share of 100 images"
        assert r.precision == "float32"
    assert rows[-1].train_seconds == 0.0, "test-time flips train nothing"


def test_the_table_is_markdown_with_the_change_from_the_step_before():
    rows = [ablation.Row("tutorial", "Net", 2, 4, "float32", 76.4, 52.5),
            ablation.Row("batch 32", "Net", 2, 32, "float32", 9.2, 54.6),
            ablation.Row("test-time flips", "ModernNet", 8, 256, "float32", 0.0, 56.0)]
    lines = ablation.format_table(rows).splitlines()
    assert lines[0].startswith("| step | model |") and lines[1].startswith("| --- |")
    assert lines[2] == "| tutorial | Net | 2 | 4 | float32 | 76 s | 52.5 % |  |"
    assert lines[3] == "| batch 32 | Net | 2 | 32 | float32 | 9 s | 54.6 % | +2.1 |"
    assert lines[4].endswith("| none | 56.0 % | +1.4 |")


def test_flips_need_the_network_they_evaluate():
    with pytest.raises(SystemExit):
        ablation.parse_args(["--steps", "test-time flips"])


def test_notebook_05_quotes_the_committed_table():
    """The table in notebook 05 is the committed output of the script, row for row."""
    root = Path(__file__).resolve().parent.parent
    table = [line for line in (root / "benchmarks" / "results" / "ablation-cpu.txt").read_text().splitlines()
             if line.startswith("|")]
    notebook = (root / "notebooks" / "05_training.ipynb").read_text(encoding="utf-8")
    assert len(table) == 2 + len(ablation.STEPS)
    for line in table:
        assert line.replace('"', '\\"') in notebook, f"notebook 05 does not show this row of the results: {line}"
