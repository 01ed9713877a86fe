"""The device of notebook 01, quick mode, and the exercises' self-checks (course.py): every message they give."""

import numpy as np
import pytest
import torch
from torch import nn

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
    (None, 3, "Not answered yet: replace the None above"),
    (..., 3, "Not answered yet: replace the ... above"),
    (3, 3, "Correct!"),
    (3.0, 3, "Correct!"),
    (4, 3, "Not quite: 4 is not the answer. hint"),
    (torch.ones(2, 3), torch.ones(2, 3), "Correct!"),
    (np.full(3, 0.5), torch.full((3,), 0.5), "Correct!"),
    ([0.5, 0.5, 0.5], torch.full((3,), 0.5), "Correct!"),
    (torch.ones(3, 4), torch.ones(4, 3), "Not quite: your tensor has shape (3, 4); the answer has shape (4, 3). hint"),
    (torch.tensor([0.5, 0.51, 0.5]), torch.full((3,), 0.5),
     "Not quite: the shape (3,) is right, but 1 of the 3 values differs. hint"),
    (torch.full((3,), 0.51), torch.full((3,), 0.5), "Not quite: the shape (3,) is right, but 3 of the 3 values differ"),
    (torch.full((2,), 1e-3), torch.full((2,), 1.1e-3), "Not quite: the shape (2,) is right"),  # small values too
    (torch.tensor([4], dtype=torch.uint8), torch.tensor([3], dtype=torch.uint8), "Not quite: the shape (1,) is right"),
    (5, torch.ones(2), "Not quite: expected a tensor of shape (2,), got a number (5). hint"),
    ("x", torch.ones(2), "Not quite: expected a tensor of shape (2,), got a string ('x'). hint"),
    (2.302585, 2.3025851, "Correct!"),
    (2.31, 2.3025851, "Not quite: 2.31 is not the answer. hint"),
    ("seven", 7.0, "Not quite: expected a number, got a string ('seven'). hint"),
    (True, 1, "Not quite: expected a number, got True or False (a bool). hint"),
    (torch.tensor(0.5), 0.5, "Not quite: expected a number, got a tensor of shape (); .item() gives the number"),
    ("cat", "cat", "Correct!"),
    ("dog", "cat", "Not quite: 'dog' is not the answer. hint"),
    (3, "cat", "Not quite: expected a string, got a number (3). hint"),
    (torch.Size([10, 10]), (10, 10), "Correct!"),
    ([10, 10], (10, 10), "Correct!"),
    ((10, 5), (10, 10), "Not quite: (10, 5) is not the answer. hint"),
])
def test_check_says_what_is_wrong(capsys, answer, expected, verdict):
    workshop.check(answer, expected, "hint")
    assert capsys.readouterr().out.startswith(verdict)


@pytest.mark.parametrize("answer, options, verdict", [
    (0.408, dict(digits=3), "Correct!"),  # hand-computed answers may be rounded
    (0.4076, dict(digits=3), "Correct!"),
    (0.41, dict(digits=2), "Correct!"),
    (0.41, dict(digits=3), "Not quite: 0.41 is not the answer to 3 decimal places. hint"),
    (0.40, dict(digits=2), "Not quite: 0.4 is not the answer to 2 decimal places. hint"),
    (0.408, {}, "Not quite: 0.408 is not the answer. hint"),  # without digits, 1e-4 as before
    (0.42, dict(tolerance=0.02), "Correct!"),
    (0.43, dict(tolerance=0.02), "Not quite: 0.43 is not the answer (to within 0.02). hint"),
])
def test_check_accepts_sensible_rounding_when_asked(capsys, answer, options, verdict):
    workshop.check(answer, 0.40761, "hint", **options)
    assert capsys.readouterr().out.startswith(verdict)


def test_check_explains_a_known_mistake(capsys):
    mistakes = {4608: "That counts the weights only: add one bias per filter."}
    workshop.check(4608, 4640, "hint", mistakes=mistakes)
    assert capsys.readouterr().out == "Not quite: That counts the weights only: add one bias per filter.\n"
    workshop.check(4000, 4640, "hint", mistakes=mistakes)
    assert capsys.readouterr().out == "Not quite: 4,000 is not the answer. hint\n"


@pytest.mark.parametrize("value, verdict", [
    (None, "Not answered yet: replace the None above"),
    (47.31, "Target met: held-out accuracy 47.3 % ≥ 35 %."),
    (35, "Target met: held-out accuracy 35 % ≥ 35 %."),
    (torch.tensor(40.0), "Target met: held-out accuracy 40 % ≥ 35 %."),
    (31.2, "Not yet: held-out accuracy 31.2 % is below the target of 35 %. hint"),
    (0.47, "Not yet: held-out accuracy 0.5 % is below the target of 35 %. (It looks like a fraction: multiply by 100"),
    ("47", "Not quite: expected held-out accuracy as a number, got a string ('47'). hint"),
    (float("nan"), "Not yet: held-out accuracy is nan (not a number)"),
])
def test_check_at_least_says_whether_a_target_is_met(capsys, value, verdict):
    workshop.check_at_least(value, 35, "held-out accuracy", "hint")
    assert capsys.readouterr().out.startswith(verdict)


class _Net64(workshop.Net):
    """notebook 03's third exercise: Net for 64 x 64 images, with fc1 taking `inputs` numbers (None: unanswered)."""

    def __init__(self, inputs=None):
        super().__init__()
        self.fc1 = None if inputs is None else nn.Linear(inputs, 120)


class _WideNet(workshop.Net):
    """notebook 03's fourth exercise: conv1 and conv2 widened to 16 and 32 filters."""

    def __init__(self, conv2_inputs=16, fc1_inputs=32 * 5 * 5, kernel=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel)
        self.conv2 = nn.Conv2d(conv2_inputs, 32, kernel)
        self.fc1 = nn.Linear(fc1_inputs, 120)


class _Returns(nn.Module):
    def __init__(self, make_output):
        super().__init__()
        self.make_output = make_output

    def forward(self, x):
        return self.make_output(x)


BIG, SMALL = torch.zeros(2, 3, 64, 64), torch.zeros(2, 3, 32, 32)


@pytest.mark.parametrize("make_model, inputs, verdict", [
    (None, SMALL, "Not answered yet: replace the None above"),
    (_Net64, BIG, "Not answered yet: replace the None of fc1 above with a layer"),
    (lambda: _Net64(2000), BIG, "Not quite: fc1 is nn.Linear(2000, 120): it takes 2,000 numbers per image, but "
                                "receives a different number. hint"),  # the shape mismatch, without the answer
    (lambda: _Net64(16 * 13 * 13), BIG, "Correct!"),
    (_Net64(16 * 13 * 13), BIG, "Correct!"),  # a model already built works too
    (_WideNet, SMALL, "Correct!"),
    (lambda: _WideNet(conv2_inputs=6), SMALL, "Not quite: conv2 is nn.Conv2d(6, 32, 5): it takes 6 channels, but "
                                              "receives 16. hint"),
    (lambda: _WideNet(fc1_inputs=400), SMALL, "Not quite: fc1 is nn.Linear(400, 120): it takes 400 numbers"),
    (lambda: _WideNet(kernel=3, fc1_inputs=32 * 6 * 6), SMALL,
     "Not quite: your model has 154,462 parameters; the answer has 121,182. hint"),
    (lambda: _Returns(lambda x: x.view(7, -1)), SMALL,
     "Not quite: the model fails on a batch of shape (2, 3, 32, 32): shape '[7, -1]' is invalid"),
    (lambda: _Returns(lambda x: x.flatten(1)), SMALL,
     "Not quite: your model's output has shape (2, 3072); the answer has shape (2, 10). hint"),
    (lambda: _Returns(lambda x: (x,)), SMALL, "Not quite: the model returns a tuple, not a tensor. hint"),
])
def test_check_model_names_what_is_wrong(capsys, make_model, inputs, verdict):
    workshop.check_model(make_model, inputs, (len(inputs), 10), "hint",
                         parameters=121_182 if inputs is SMALL else None)
    assert capsys.readouterr().out.startswith(verdict)
