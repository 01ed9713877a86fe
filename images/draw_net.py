"""Draw images/net.png: the PyTorch tutorial's `Net` (03_cnn) as a left-to-right pipeline of tensors.

Run from anywhere with the workshop's Python: python images/draw_net.py
Each box is one tensor (its size hints at the shape, written under it); each arrow is a layer, with
its parameter count. The shapes and counts are checked against workshop.Net with a dummy image.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch
from pipeline_drawing import EDGE, GREY, SCORE_COLOUR, VECTOR_COLOUR, arrow, feature_map, vector

import workshop

OUT = Path(__file__).resolve().parent / "net.png"
PIXEL = 0.05  # drawing units per pixel of height and width
CHANNEL = 0.045  # drawing units of depth per channel
# (channels, height, width) of each feature map in the top row, then each layer between them
MAPS = [(3, 32, 32), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
CONV_LAYERS = [("conv1", "conv1 5 x 5\n6 filters\n+ ReLU", 456), ("pool", "max pool\n2 x 2", 0),
               ("conv2", "conv2 5 x 5\n16 filters\n+ ReLU", 2416), ("pool", "max pool\n2 x 2", 0)]
# the bottom row: vector lengths, and the fully connected layers between them
VECTORS = [400, 120, 84, 10]
FC_LAYERS = [("fc1", "fc1\n+ ReLU", 48120), ("fc2", "fc2\n+ ReLU", 10164), ("fc3", "fc3", 850)]
TOTAL = 62006


def check() -> None:
    """Run a dummy image through the real Net and compare every shape and parameter count drawn."""
    net = workshop.Net()
    x = torch.zeros(1, 3, 32, 32)
    shapes = [x.shape[1:]]
    for layer in (net.conv1, net.pool, net.conv2, net.pool):
        x = layer(x)
        shapes.append(x.shape[1:])
    assert shapes == [torch.Size(s) for s in MAPS], shapes
    x = torch.flatten(x, 1)
    lengths = [x.shape[1]]
    for layer in (net.fc1, net.fc2, net.fc3):
        x = layer(x)
        lengths.append(x.shape[1])
    assert lengths == VECTORS, lengths
    count = {name: sum(p.numel() for p in module.parameters()) for name, module in net.named_children()}
    assert [count[name] for name, _, _ in CONV_LAYERS + FC_LAYERS] == [n for _, _, n in CONV_LAYERS + FC_LAYERS]
    assert sum(p.numel() for p in net.parameters()) == TOTAL


def main() -> None:
    check()
    fig, ax = plt.subplots(figsize=(8, 4.6), dpi=100)
    x = 0.0
    for i, shape in enumerate(MAPS):
        c, h, _ = shape
        right = feature_map(ax, x, shape, side=h * PIXEL, depth=c * CHANNEL)
        if i == 0:
            ax.text(x, shape[1] * PIXEL / 2 + shape[0] * CHANNEL * 0.6 + 0.1, "input", ha="left", va="bottom",
                    fontsize=11)
        if i < len(CONV_LAYERS):
            _, label, params = CONV_LAYERS[i]
            arrow(ax, right + 0.1, right + 2.0, 0, label, params)
            x = right + 2.1
    # flatten: from under the last map, back to the start of the bottom row
    y_row, x_row = -3.9, 0.4
    last_middle = (x + right) / 2
    ax.plot([last_middle, last_middle, x_row, x_row], [-1.55, -2.2, -2.2, -2.7], color=EDGE, linewidth=1.2)
    ax.add_patch(FancyArrowPatch((x_row, -2.7), (x_row, -2.85), arrowstyle="-|>", mutation_scale=14,
                                 color=EDGE, linewidth=1.2))
    ax.text((last_middle + x_row) / 2, -2.15, "flatten: 16 x 5 x 5 = 400 numbers", ha="center", va="bottom",
            fontsize=10)
    spacing = 3.4
    for i, n in enumerate(VECTORS):
        xv = x_row + i * spacing
        last = i == len(VECTORS) - 1
        vector(ax, xv, y_row, n, SCORE_COLOUR if last else VECTOR_COLOUR)
        ax.text(xv, y_row - 1.1, f"{n} scores" if last else str(n), ha="center", va="top", fontsize=11)
        if not last:
            _, label, params = FC_LAYERS[i]
            arrow(ax, xv + 0.3, xv + spacing - 0.3, y_row, label, params)
    ax.text(xv + 0.4, y_row, "one per\nclass", ha="left", va="center", fontsize=10, color=GREY)
    ax.text(right, y_row - 0.4, f"{TOTAL:,}\nparameters\nin total", ha="right", va="center", fontsize=11,
            fontweight="bold")
    ax.set_xlim(-0.2, right + 0.2)
    ax.set_ylim(-5.6, 1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(OUT, dpi=120, bbox_inches="tight")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
