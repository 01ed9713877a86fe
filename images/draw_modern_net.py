"""Draw images/modern_net.png: ModernNet (03_cnn), four conv blocks then one linear layer, as a pipeline.

Run from anywhere with the workshop's Python: python images/draw_modern_net.py
Each box is one tensor (its size hints at the shape, written under it); each arrow is a block or layer,
with its parameter count. The shapes and counts are checked against workshop.ModernNet with a dummy image.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from pipeline_drawing import EDGE, GREY, SCORE_COLOUR, VECTOR_COLOUR, arrow, feature_map, vector

import workshop

OUT = Path(__file__).resolve().parent / "modern_net.png"
STEP_COLOUR = "#eeeeee"
PIXEL = 0.05  # drawing units per pixel of height and width (at least MIN_SIDE, so that 1 x 1 shows)
MIN_SIDE = 0.12
CHANNEL = 0.1  # drawing units of depth per square root of the number of channels
# (channels, height, width) of the input and of each block's output
MAPS = [(3, 32, 32), (16, 16, 16), (64, 8, 8), (128, 4, 4), (256, 1, 1)]
BLOCK_PARAMS = [464, 9344, 73984, 295424]
CLASSIFIER_PARAMS = 2570
TOTAL = 381786
# what one block does, in the order of conv_block
STEPS = ["conv 3 x 3\npadding 1", "max pool\n2 x 2", "batch\nnorm", "ReLU"]


def check() -> None:
    """Run a dummy image through the real ModernNet and compare every shape and parameter count drawn."""
    model = workshop.ModernNet().eval()
    x = torch.zeros(1, 3, 32, 32)
    shapes, params = [x.shape[1:]], []
    for block in model.features:
        kinds = [type(layer).__name__ for layer in block]  # the order drawn in STEPS; the last block pools globally
        assert kinds[0] == "Conv2d" and kinds[2:] == ["BatchNorm2d", "ReLU"], kinds
        assert kinds[1] == ("AdaptiveMaxPool2d" if block is model.features[-1] else "MaxPool2d"), kinds
        assert block[0].kernel_size == (3, 3) and block[0].padding == (1, 1) and block[0].bias is None
        x = block(x)
        shapes.append(x.shape[1:])
        params.append(sum(p.numel() for p in block.parameters()))
    assert shapes == [torch.Size(s) for s in MAPS], shapes
    assert params == BLOCK_PARAMS, params
    assert model.classifier(torch.flatten(x, 1)).shape == (1, 10)
    assert sum(p.numel() for p in model.classifier.parameters()) == CLASSIFIER_PARAMS
    assert sum(p.numel() for p in model.parameters()) == TOTAL


def block_steps(ax, x, y):
    """The inside of one block: four small boxes in a row, left edge at x, centred on height y."""
    widths, gap = [2.2, 1.8, 1.6, 1.2], 0.4
    ax.text(x, y + 0.6, "inside every block (conv_block):", ha="left", va="bottom", fontsize=10)
    left = x
    for i, (step, width) in enumerate(zip(STEPS, widths, strict=True)):
        ax.add_patch(FancyBboxPatch((left, y - 0.45), width, 0.9, boxstyle="round,pad=0.02", facecolor=STEP_COLOUR,
                                    edgecolor=EDGE, linewidth=0.8))
        ax.text(left + width / 2, y, step, ha="center", va="center", fontsize=10, linespacing=1.1)
        if i < len(STEPS) - 1:
            ax.add_patch(FancyArrowPatch((left + width + 0.03, y), (left + width + gap - 0.03, y), arrowstyle="-|>",
                                         mutation_scale=10, color=EDGE, linewidth=1))
        left += width + gap
    ax.text(x, y - 0.6, "block 4: global max pool, each map to 1 x 1\nconvolutions: bias=False (batch norm shifts)",
            ha="left", va="top", fontsize=10, color=GREY, linespacing=1.1)


def main() -> None:
    check()
    fig, ax = plt.subplots(figsize=(8, 4.6), dpi=100)
    x = 0.0
    for i, shape in enumerate(MAPS):
        c, h, _ = shape
        right = feature_map(ax, x, shape, side=max(h * PIXEL, MIN_SIDE), depth=CHANNEL * c ** 0.5)
        if i == 0:
            ax.text(x, 0.95, "input", ha="left", va="bottom", fontsize=11)
        if i < len(BLOCK_PARAMS):
            label = f"block {i + 1}\n{MAPS[i + 1][0]} filters"
            arrow(ax, right + 0.1, right + 2.0, 0, label, BLOCK_PARAMS[i])
            x = right + 2.1
    # flatten: from under the last map, back to the start of the bottom row
    y_row, x_row = -3.5, 0.4
    last_middle = x + MIN_SIDE / 2
    ax.plot([last_middle, last_middle, x_row, x_row], [-1.55, -2.2, -2.2, -2.45], color=EDGE, linewidth=1.2)
    ax.add_patch(FancyArrowPatch((x_row, -2.45), (x_row, -2.6), arrowstyle="-|>", mutation_scale=14,
                                 color=EDGE, linewidth=1.2))
    ax.text((last_middle + x_row) / 2, -2.15, "flatten: 256 x 1 x 1 = 256 numbers", ha="center", va="bottom",
            fontsize=10)
    vector(ax, x_row, y_row, 256, VECTOR_COLOUR)
    ax.text(x_row, y_row - 0.9, "256", ha="center", va="top", fontsize=11)
    arrow(ax, x_row + 0.3, x_row + 2.7, y_row, "classifier\nlinear", CLASSIFIER_PARAMS)
    vector(ax, x_row + 3.0, y_row, 10, SCORE_COLOUR)
    ax.text(x_row + 3.0, y_row - 0.9, "10 scores", ha="center", va="top", fontsize=11)
    ax.text(0, y_row - 1.55, f"{TOTAL:,} parameters in total", ha="left", va="top", fontsize=11, fontweight="bold")
    block_steps(ax, 5.6, y_row + 0.1)
    ax.set_xlim(-0.2, right + 0.2)
    ax.set_ylim(-5.4, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(OUT, dpi=120, bbox_inches="tight")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
