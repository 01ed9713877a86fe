"""Draw images/convolution.png: a 3x3 filter sliding over a 5x5 channel, as in 03_cnn.

Run from anywhere with the workshop's Python: python images/draw_convolution.py
The numbers are the tiny example that 03_cnn computes by hand and checks against F.conv2d.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

X = np.array([[1, 2, 0, 1, 3],
              [0, 1, 3, 2, 1],
              [2, 0, 1, 0, 2],
              [1, 3, 2, 1, 0],
              [0, 1, 0, 2, 1]])
W = np.array([[1, 0, -1],
              [1, 0, -1],
              [1, 0, -1]])
OUT = np.array([[(X[i:i + 3, j:j + 3] * W).sum() for j in range(3)] for i in range(3)])
ROW, COL = 1, 2  # the output position the figure explains


def grid(ax, values, x0, title, highlight=None, color="#ffd27f"):
    """Draw `values` as a grid of numbered squares with its top-left corner at (x0, 0)."""
    n = values.shape[0]
    for i in range(n):
        for j in range(values.shape[1]):
            inside = highlight is not None and highlight[0] <= i < highlight[2] and highlight[1] <= j < highlight[3]
            ax.add_patch(Rectangle((x0 + j, -i - 1), 1, 1, facecolor=color if inside else "white",
                                   edgecolor="black", linewidth=1))
            ax.text(x0 + j + 0.5, -i - 0.5, str(values[i, j]), ha="center", va="center", fontsize=11)
    ax.text(x0 + values.shape[1] / 2, 0.5, title, ha="center", va="bottom", fontsize=11)


def main() -> None:
    fig, ax = plt.subplots(figsize=(9, 4.2))
    grid(ax, X, 0, "input channel 5 x 5", highlight=(ROW, COL, ROW + 3, COL + 3))
    ax.text(5.75, -2.5, "*", ha="center", va="center", fontsize=22)
    grid(ax, W, 6.5, "filter 3 x 3", highlight=(0, 0, 3, 3), color="#b7d7f0")
    ax.text(10.25, -2.5, "=", ha="center", va="center", fontsize=22)
    grid(ax, OUT, 11, "output 3 x 3", highlight=(ROW, COL, ROW + 1, COL + 1), color="#9be09b")
    patch = X[ROW:ROW + 3, COL:COL + 3]
    terms = " + ".join(f"{a}·{b}" if b >= 0 else f"{a}·({b})" for a, b in zip(patch.ravel(), W.ravel(), strict=True))
    ax.text(7.25, -5.7, f"{terms} = {OUT[ROW, COL]}", ha="center", va="center", fontsize=9)
    ax.text(7.25, -6.4, "Slide the filter one step at a time; at each position, multiply the overlapping "
            "numbers and add them up.", ha="center", va="center", fontsize=9)
    ax.text(7.25, -7.1, "output size = (input + 2 × padding − kernel) // stride + 1 = (5 + 0 − 3) // 1 + 1 = 3",
            ha="center", va="center", fontsize=10, fontweight="bold")
    ax.set_xlim(-0.3, 14.3)
    ax.set_ylim(-7.5, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    out = Path(__file__).with_name("convolution.png")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print(f"wrote {out.name}")


if __name__ == "__main__":
    main()
