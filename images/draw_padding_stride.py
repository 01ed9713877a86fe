"""Draw images/padding_stride.png: how padding and stride change a 3 x 3 convolution's output size, as in 03_cnn.

Run from anywhere with the workshop's Python: python images/draw_padding_stride.py
Left: padding 1 on a 5 x 5 input keeps the size. Right: stride 2 without padding leaves 2 x 2.
Both sizes, and the formula the workshop uses, are checked against torch.nn.functional.conv2d.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import FancyArrowPatch, Rectangle

OUT = Path(__file__).resolve().parent / "padding_stride.png"
SIZE, KERNEL = 5, 3
EDGE, PADDING_GREY, WINDOW, CENTRE = "#333333", "#dddddd", "#e08000", "#ffd27f"
# the four window positions of stride 2: outline colour, and fill of its cells and of its output cell
POSITION_COLOURS = [("#c0392b", "#f4a6a6"), ("#2e8b57", "#a8d5a2"), ("#2f6fb5", "#a6c8f4"), ("#b07800", "#ffd27f")]


def output_size(size, kernel, padding, stride):
    """The formula of 03_cnn."""
    return (size + 2 * padding - kernel) // stride + 1


def check() -> None:
    """The formula gives the sizes drawn, and so does PyTorch's own convolution."""
    for padding, stride, drawn in ((1, 1, 5), (0, 2, 2)):
        torch_size = F.conv2d(torch.zeros(1, 1, SIZE, SIZE), torch.zeros(1, 1, KERNEL, KERNEL),
                              padding=padding, stride=stride).shape[-1]
        assert torch_size == output_size(SIZE, KERNEL, padding, stride) == drawn, (padding, stride, torch_size)


def cells(ax, x0, y0, n, size=1.0, shade=None, fill="white"):
    """An n x n grid of squares of side `size`, top-left corner at (x0, y0); the cells in `shade` are filled."""
    shade = shade or set()
    for i in range(n):
        for j in range(n):
            ax.add_patch(Rectangle((x0 + j * size, y0 - (i + 1) * size), size, size,
                                   facecolor=fill if (i, j) in shade else "white", edgecolor=EDGE, linewidth=0.8))


def arrow(ax, x0, x1, y):
    """A horizontal arrow from x0 to x1 at height y."""
    ax.add_patch(FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=18, color=EDGE, linewidth=1.5))


def padding_panel(ax, x0):
    """A 5 x 5 input inside a ring of zeros, the 3 x 3 window at the corner, and the 5 x 5 output."""
    n = SIZE + 2
    for i in range(n):
        for j in range(n):
            ring = i in (0, n - 1) or j in (0, n - 1)
            ax.add_patch(Rectangle((x0 + j, -i - 1), 1, 1, facecolor=PADDING_GREY if ring else "white",
                                   edgecolor=EDGE, linewidth=0.8))
            if ring:
                ax.text(x0 + j + 0.5, -i - 0.5, "0", ha="center", va="center", fontsize=10, color="#666666")
    ax.add_patch(Rectangle((x0 + 1, -2), 1, 1, facecolor=CENTRE, edgecolor=EDGE, linewidth=0.8))
    ax.add_patch(Rectangle((x0, -KERNEL), KERNEL, KERNEL, facecolor="none", edgecolor=WINDOW, linewidth=3))
    arrow(ax, x0 + n + 0.2, x0 + n + 1.3, -n / 2)
    cells(ax, x0 + n + 1.5, -1, SIZE, shade={(0, 0)}, fill=CENTRE)
    middle = x0 + (n + 1.5 + SIZE) / 2
    ax.text(middle, 0.4, "padding 1, stride 1", ha="center", va="bottom", fontsize=12, fontweight="bold")
    ax.text(middle, -n - 0.3, "padding 1 keeps the size: 5 → 5\n(5 + 2 × 1 − 3) // 1 + 1 = 5", ha="center",
            va="top", fontsize=11)


def stride_panel(ax, x0):
    """The four positions of a 3 x 3 window moving 2 at a time over a 5 x 5 input, and the 2 x 2 output."""
    size, step = 0.55, 3.2  # small grids, one per window position, in a 2 x 2 arrangement
    top = -(SIZE + 2 - 2 * step + 0.45) / 2
    for k, (line, fill) in enumerate(POSITION_COLOURS):
        row, col = 2 * (k // 2), 2 * (k % 2)  # the window's top-left cell
        x, y = x0 + (k % 2) * step, top - (k // 2) * step
        cells(ax, x, y, SIZE, size=size, shade={(row + i, col + j) for i in range(KERNEL) for j in range(KERNEL)},
              fill=fill)
        ax.add_patch(Rectangle((x + col * size, y - (row + KERNEL) * size), KERNEL * size, KERNEL * size,
                               facecolor="none", edgecolor=line, linewidth=2.5))
        ax.text(x + (col + 1.5) * size, y - (row + 1.5) * size, str(k + 1), ha="center", va="center", fontsize=11)
        ax.add_patch(Rectangle((x0 + 2 * step + 0.9 + k % 2, -2.5 - k // 2), 1, 1, facecolor=fill, edgecolor=EDGE,
                               linewidth=0.8))
        ax.text(x0 + 2 * step + 1.4 + k % 2, -2 - k // 2, str(k + 1), ha="center", va="center", fontsize=11)
    arrow(ax, x0 + 2 * step - 0.3, x0 + 2 * step + 0.8, -3.5)
    middle = x0 + step + 0.6
    ax.text(middle, 0.4, "padding 0, stride 2", ha="center", va="bottom", fontsize=12, fontweight="bold")
    ax.text(middle, -SIZE - 2 - 0.3, "stride 2 skips every other\nposition: 5 → 2\n(5 + 0 − 3) // 2 + 1 = 2",
            ha="center", va="top", fontsize=11)


def main() -> None:
    check()
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    padding_panel(ax, 0)
    stride_panel(ax, 15.3)
    ax.text(12.3, -9.7, "output size = (input + 2 × padding − kernel) // stride + 1", ha="center", va="top",
            fontsize=12, fontweight="bold")
    ax.set_xlim(-0.2, 24.8)
    ax.set_ylim(-10.4, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(OUT, dpi=110, bbox_inches="tight")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
