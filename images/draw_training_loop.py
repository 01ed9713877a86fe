"""Draw images/training_loop.png: the five steps of the training loop (04 and 05) as one cycle.

Run from anywhere with the workshop's Python: python images/draw_training_loop.py
Five boxes on a ring, clockwise from the top, each with its line of code; blue boxes go forward
(compute the loss), orange ones go backward and update the weights.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.transforms import Bbox

OUT = Path(__file__).resolve().parent / "training_loop.png"
FORWARD, BACKWARD, EDGE, GREY = "#dbe8f8", "#ffe9bf", "#333333", "#555555"
STEPS = [  # (what it does, its code, box colour), in loop order
    ("forward pass", "outputs = model(images)", FORWARD),
    ("loss", "loss = loss_fn(outputs, labels)", FORWARD),
    ("clear old gradients", "optimizer.zero_grad()", BACKWARD),
    ("gradients of the loss", "loss.backward()", BACKWARD),
    ("update the weights", "optimizer.step()", BACKWARD),
]
RING_X, RING_Y = 2.5, 1.5  # half-width and half-height of the ellipse the box centres lie on
PAD = 0.12  # space between a box's text and its edge


def step_box(ax, renderer, x, y, number, title, code, colour):
    """Two centred lines at (x, y), the step in words and its code, inside a rounded box; returns the box."""
    words = ax.text(x, y + 0.02, f"{number}  {title}", ha="center", va="bottom", fontsize=11, fontweight="bold")
    line = ax.text(x, y - 0.02, code, ha="center", va="top", fontsize=10.5, family="monospace")
    to_data = ax.transData.inverted()
    both = Bbox.union([words.get_window_extent(renderer), line.get_window_extent(renderer)])
    (x0, y0), (x1, y1) = to_data.transform(both.get_points())
    box = FancyBboxPatch((x0 - PAD, y0 - PAD), x1 - x0 + 2 * PAD, y1 - y0 + 2 * PAD, boxstyle="round,pad=0.02",
                         facecolor=colour, edgecolor=EDGE, linewidth=1, zorder=0)
    ax.add_patch(box)
    return box


def main() -> None:
    fig = plt.figure(figsize=(7.8, 4.1), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))  # the whole figure, so that one unit is one inch
    ax.set_xlim(-3.75, 4.05)  # the longest line of code is on the right
    ax.set_ylim(-2.2, 1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    renderer = fig.canvas.get_renderer()
    angles = np.pi / 2 - 2 * np.pi * np.arange(len(STEPS)) / len(STEPS)  # clockwise from the top
    centres = list(zip(RING_X * np.cos(angles), RING_Y * np.sin(angles), strict=True))
    boxes = []
    for k, ((x, y), (title, code, colour)) in enumerate(zip(centres, STEPS, strict=True)):
        boxes.append(step_box(ax, renderer, x, y, k + 1, title, code, colour))
    for k, box in enumerate(boxes):
        after = (k + 1) % len(boxes)
        ax.add_patch(FancyArrowPatch(centres[k], centres[after], patchA=box, patchB=boxes[after],
                                     connectionstyle="arc3,rad=-0.25", arrowstyle="-|>", mutation_scale=16,
                                     color=EDGE, linewidth=1.5, shrinkA=4, shrinkB=4))
    ax.text(0, 0.05, "for each batch", ha="center", va="center", fontsize=13, fontweight="bold")
    ax.text(0, -0.25, "of images and labels", ha="center", va="center", fontsize=10, color=GREY)
    ax.text(0, -2.0, "one pass over all batches = one epoch", ha="center", va="bottom", fontsize=11,
            fontstyle="italic", color=GREY)
    fig.savefig(OUT, dpi=100, bbox_inches="tight")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
