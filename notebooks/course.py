"""How the workshop runs in a class: quick mode for dry runs and CI, where checkpoints go, the exercises' self-check.

Hand-written infrastructure: every notebook uses it (through `workshop`), none teaches it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch


def quick_mode() -> bool:
    """True when WORKSHOP_QUICK=1 asks for a short run, as CI and an instructor's dry run do."""
    return os.environ.get("WORKSHOP_QUICK", "0").strip() not in ("", "0")


def full_or_quick(full, quick):
    """`full` in a normal run, `quick` when WORKSHOP_QUICK=1."""
    return quick if quick_mode() else full


def checkpoint_dir() -> Path:
    """Where notebooks save checkpoints: checkpoints/ at the top of the workshop, or WORKSHOP_CHECKPOINT_DIR.

    The tests set WORKSHOP_CHECKPOINT_DIR to a temporary folder, so that running them never
    overwrites a learner's checkpoints.
    """
    configured = os.environ.get("WORKSHOP_CHECKPOINT_DIR", "").strip()
    return Path(configured).expanduser() if configured else Path(__file__).resolve().parent.parent / "checkpoints"


def check(answer, expected, hint: str = "") -> None:
    """Say whether an exercise's answer is right; every notebook's exercises use it.

    Tensors and arrays must match in shape and in value (to 1e-4), numbers to 1e-4,
    anything else must be equal. `None`, the placeholder, means "not answered yet".
    """
    if answer is None:
        print("Not answered yet: replace the None above with your answer and run the cell again.")
        return
    try:
        if isinstance(expected, (torch.Tensor, np.ndarray)):
            answer_t, expected_t = torch.as_tensor(answer), torch.as_tensor(expected)
            right = answer_t.shape == expected_t.shape and torch.allclose(
                answer_t.double().cpu(), expected_t.double().cpu(), rtol=1e-4, atol=1e-4)
        elif isinstance(expected, float):
            right = abs(float(answer) - expected) <= 1e-4 * max(1.0, abs(expected))
        else:
            right = answer == expected
    except (TypeError, ValueError, RuntimeError):
        right = False
    print("Correct!" if right else f"Not quite. {hint}".rstrip())
