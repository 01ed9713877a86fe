"""Draw images/tensor.png: a scalar, a vector, a matrix, an image and a batch, as grids of numbers.

Run from anywhere: python images/draw_tensor.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

OUT = Path(__file__).resolve().parent / "tensor.png"
CHANNEL_COLOURS = ["#f4a6a6", "#a8d5a2", "#a6c8f4"]  # red, green, blue channels


def grid(ax, x, y, rows, cols, colour, size=0.32, numbers=None):
    """A rows x cols grid of cells whose top-left corner is at (x, y)."""
    for r in range(rows):
        for c in range(cols):
            ax.add_patch(Rectangle((x + c * size, y - (r + 1) * size), size, size,
                                   facecolor=colour, edgecolor="#333333", linewidth=0.8))
            if numbers is not None:
                ax.text(x + (c + 0.5) * size, y - (r + 0.5) * size, numbers[r][c],
                        ha="center", va="center", fontsize=7)


def image(ax, x, y, offset=0.16, size=0.16):
    """Three stacked 6 x 6 channels, red at the back, seen slightly from above."""
    for k, colour in enumerate(CHANNEL_COLOURS):
        grid(ax, x + k * offset, y - k * offset, 6, 6, colour, size=size)


def main():
    fig, ax = plt.subplots(figsize=(12, 3.2), dpi=100)
    ax.set_xlim(0, 17.5)
    ax.set_ylim(-2.9, 0.9)
    ax.axis("off")
    labels = [
        (0.8, "scalar\n0-D, shape ()", "torch.tensor(7.)"),
        (3.4, "vector\n1-D, shape (4,)", "torch.arange(1., 5.)"),
        (6.6, "matrix\n2-D, shape (3, 4)", "torch.zeros(3, 4)"),
        (10.0, "image\n3-D, shape (3, 32, 32)\nchannels x height x width", "one CIFAR-10 image\n(drawn 6 x 6)"),
        (14.6, "batch\n4-D, shape (4, 3, 32, 32)\nimages x C x H x W", "four images\nstacked"),
    ]
    grid(ax, 0.64, 0.2, 1, 1, "#dddddd", numbers=[["7"]])
    grid(ax, 2.76, 0.2, 1, 4, "#dddddd", numbers=[["1", "2", "3", "4"]])
    grid(ax, 5.96, 0.5, 3, 4, "#dddddd", numbers=[["0"] * 4] * 3)
    image(ax, 9.3, 0.7)
    for k in range(4):
        image(ax, 12.7 + k * 0.95, 0.7 - k * 0.08, offset=0.1, size=0.1)
    for x, title, example in labels:
        ax.text(x, -0.9, title, ha="center", va="top", fontsize=10)
        ax.text(x, -2.0, example, ha="center", va="top", fontsize=8, family="monospace", color="#555555")
    fig.savefig(OUT, bbox_inches="tight")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
