"""Tensors as boxes and layers as arrows: the drawing shared by draw_net.py and draw_modern_net.py.

Not a script: the two scripts import it (Python puts their folder, images/, on the import path).
"""

from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle

MAP_COLOUR, VECTOR_COLOUR, SCORE_COLOUR = "#a6c8f4", "#a8d5a2", "#ffd27f"
EDGE, GREY = "#333333", "#555555"


def feature_map(ax, x, shape, side: float, depth: float) -> float:
    """A box seen from above and to the right (face: height x width, `depth`: channels); returns its right edge."""
    c, h, w = shape
    dx, dy = depth, depth * 0.6
    y = -side / 2
    ax.add_patch(Polygon([(x, y + side), (x + dx, y + side + dy), (x + side + dx, y + side + dy), (x + side, y + side)],
                         facecolor="#7fa9dc", edgecolor=EDGE, linewidth=0.8))  # top
    ax.add_patch(Polygon([(x + side, y), (x + side + dx, y + dy), (x + side + dx, y + side + dy), (x + side, y + side)],
                         facecolor="#5f8fc8", edgecolor=EDGE, linewidth=0.8))  # right side
    ax.add_patch(Rectangle((x, y), side, side, facecolor=MAP_COLOUR, edgecolor=EDGE, linewidth=0.8))
    ax.text(x + (side + dx) / 2, -1.0, f"{c} x {h} x {w}", ha="center", va="top", fontsize=11)
    return x + side + dx


def vector(ax, x, y, n, colour):
    """A thin bar whose height grows with the square root of its length n."""
    height = 0.1 * n ** 0.5
    ax.add_patch(Rectangle((x - 0.15, y - height / 2), 0.3, height, facecolor=colour, edgecolor=EDGE, linewidth=0.8))


def arrow(ax, x0, x1, y, label, params):
    """A layer or block: an arrow from x0 to x1, its name above, its parameter count below."""
    ax.add_patch(FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=14, color=EDGE, linewidth=1.2))
    middle = (x0 + x1) / 2
    ax.text(middle, y + 0.15, label, ha="center", va="bottom", fontsize=10, linespacing=1.1)
    ax.text(middle, y - 0.15, f"{params:,}\nparams" if params else "no\nparams", ha="center", va="top", fontsize=10,
            color=GREY, linespacing=1.1)
