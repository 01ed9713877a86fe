"""The device of notebook 01, and quick mode and the exercises' self-check (course.py)."""

import numpy as np
import pytest
import torch

import workshop


def test_pick_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert workshop.pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert workshop.pick_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert workshop.pick_device() == torch.device("cuda")


@pytest.mark.parametrize("value, quick", [("1", True), ("yes", True), ("0", False), ("", False), (None, False)])
def test_quick_mode_follows_the_environment(monkeypatch, value, quick):
    if value is None:
        monkeypatch.delenv("WORKSHOP_QUICK", raising=False)
    else:
        monkeypatch.setenv("WORKSHOP_QUICK", value)
    assert workshop.quick_mode() is quick
    assert workshop.full_or_quick(full=10, quick=1) == (1 if quick else 10)


@pytest.mark.parametrize("answer, expected, verdict", [
    (None, 3, "Not answered yet"),
    (3, 3, "Correct!"),
    (4, 3, "Not quite. hint"),
    (torch.ones(2, 3), torch.ones(2, 3), "Correct!"),
    (torch.ones(3, 2), torch.ones(2, 3), "Not quite. hint"),
    (np.full(3, 0.5), torch.full((3,), 0.5), "Correct!"),
    (torch.full((3,), 0.51), torch.full((3,), 0.5), "Not quite. hint"),
    (2.302585, 2.3025851, "Correct!"),
    (2.31, 2.3025851, "Not quite. hint"),
    ("seven", 7.0, "Not quite. hint"),
    ("cat", "cat", "Correct!"),
])
def test_check_tells_right_from_wrong(capsys, answer, expected, verdict):
    workshop.check(answer, expected, "hint")
    assert capsys.readouterr().out.startswith(verdict)
