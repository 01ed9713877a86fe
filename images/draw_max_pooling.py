"""Draw images/max_pooling.png: 2 x 2 max pooling with stride 2 on a 4 x 4 grid, as in 03_cnn.

Run from anywhere with the workshop's Python: python images/draw_max_pooling.py
Each 2 x 2 window has its own colour; its largest number (in bold) becomes the output cell of that colour.
The result is checked against torch.nn.functional.max_pool2d.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.patches import FancyArrowPatch, Rectangle

OUT = Path(__file__).resolve().parent / "max_pooling.png"
X = np.array([[1, 3, 2, 0],
              [4, 2, 1, 5],
              [0, 1, 3, 2],
              [2, 6, 1, 4]])
POOLED = X.reshape(2, 2, 2, 2).max(axis=(1, 3))  # rows, window row, columns, window column
WINDOW_COLOURS = [["#f4a6a6", "#a8d5a2"], ["#a6c8f4", "#ffd27f"]]  # top-left, top-right; bottom-left, bottom-right

assert (F.max_pool2d(torch.tensor(X[None, None], dtype=torch.float32), kernel_size=2, stride=2)[0, 0].numpy()
        == POOLED).all()


def grid(ax, values, x0, y0, title, window):
    """Draw `values` as numbered squares, top-left corner at (x0, y0); cell (i, j) belongs to window(i, j)."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            wi, wj = window(i, j)
            ax.add_patch(Rectangle((x0 + j, y0 - i - 1), 1, 1, facecolor=WINDOW_COLOURS[wi][wj], edgecolor="#333333",
                                   linewidth=0.8))
            largest = values[i, j] == POOLED[wi, wj]
            ax.text(x0 + j + 0.5, y0 - i - 0.5, str(values[i, j]), ha="center", va="center", fontsize=15,
                    fontweight="bold" if largest else "normal")
    ax.text(x0 + cols / 2, y0 + 0.2, title, ha="center", va="bottom", fontsize=12)


def main() -> None:
    fig, ax = plt.subplots(figsize=(8, 3.4), dpi=100)
    grid(ax, X, 0, 0, "input 4 x 4", window=lambda i, j: (i // 2, j // 2))
    ax.plot([0, 4], [-2, -2], color="black", linewidth=2.5)  # thick lines between the windows
    ax.plot([2, 2], [0, -4], color="black", linewidth=2.5)
    ax.add_patch(FancyArrowPatch((4.5, -2), (6.5, -2), arrowstyle="-|>", mutation_scale=20, color="#333333",
                                 linewidth=1.5))
    ax.text(5.5, -1.8, "max pool\n2 x 2", ha="center", va="bottom", fontsize=11)
    grid(ax, POOLED, 7, -1, "output 2 x 2", window=lambda i, j: (i, j))
    ax.text(4.5, -4.4, "kernel 2, stride 2: each output is the largest of its 2 x 2 window", ha="center", va="top",
            fontsize=12)
    ax.set_xlim(-0.2, 9.2)
    ax.set_ylim(-4.95, 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(OUT, dpi=120, bbox_inches="tight")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
