"""One figure style for the whole book, and the plots that several chapters share.

Call :func:`use_style` once at the top of a notebook. Every helper takes an ``ax`` and labels it,
so a figure reads on its own in the rendered book.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from .data import stats

__all__ = ["use_style", "COLORS", "rank_frequency", "lorenz", "leaderboard", "finish"]

#: A colour-blind-safe palette (Okabe–Ito), in the order series are drawn.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def use_style() -> None:
    """Set the book's matplotlib style: white grid, readable fonts, the shared palette."""
    mpl.rcParams.update(
        {
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "font.size": 11,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "axes.grid": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=COLORS),
            "grid.alpha": 0.35,
            "legend.frameon": False,
            "figure.constrained_layout.use": True,
        }
    )


def rank_frequency(
    ax, counts, label: str, color=None, fit_range: tuple[int, int] | None = None
) -> tuple[float, float]:
    """Log-log rank–frequency plot of ``counts`` with a fitted Zipf line.

    Returns the fitted exponent and the R² of the line (see `stats.zipf_fit`).

    ``fit_range`` = (min_rank, max_rank) chooses the ranks the line is fitted on (default: the
    ranks from 1 to the number of positive counts).
    """
    x = np.sort(np.asarray(counts, dtype=float))[::-1]
    x = x[x > 0]
    ranks = np.arange(1, len(x) + 1)
    lo, hi = fit_range if fit_range is not None else (1, len(x))
    exponent, r_squared = stats.zipf_fit(x, min_rank=lo, max_rank=hi)
    line = ax.loglog(ranks, x, ".", markersize=3, alpha=0.6, color=color, label=label)[0]
    fitted_ranks = np.arange(lo, min(hi, len(x)) + 1)
    intercept = np.log(x[lo - 1 : hi]).mean() + exponent * np.log(fitted_ranks).mean()
    ax.loglog(fitted_ranks, np.exp(intercept) * fitted_ranks**-exponent, "-", color=line.get_color(),
              linewidth=1.5, label=f"fit: slope −{exponent:.2f}, R² {r_squared:.3f}")  # fmt: skip
    ax.set_xlabel("rank (1 = most frequent)")
    ax.set_ylabel("events")
    ax.legend()
    return exponent, r_squared


def lorenz(ax, counts, label: str, color=None) -> float:
    """Lorenz curve of ``counts`` against the line of equality; returns the Gini coefficient."""
    population, mass = stats.lorenz_curve(counts)
    g = stats.gini(counts)
    ax.plot(population, mass, color=color, label=f"{label} (Gini {g:.2f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1)
    ax.set_xlabel("share of entities (least popular first)")
    ax.set_ylabel("share of events")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    return g


def leaderboard(
    ax, board, metric: str = "ndcg@10", title: str | None = None, highlight=(), highlight_label: str | None = None
) -> None:
    """Horizontal bars of ``board[metric]`` with its 95 % interval (columns ``low`` and ``high``).

    ``board`` is the frame of `evaluation.leaderboard`; the best model is drawn at the top, and the
    models named in ``highlight`` in the second colour, which the legend calls ``highlight_label``
    (required with ``highlight``).

    Each bar's interval is that model's own mean, alone. Two models' bars can overlap while their
    per-user paired difference is clear of zero: the same users are hard for both, and the
    pairing removes that shared variation. Whether one model beats another is read from
    `evaluation.paired_table`, not from the bars.
    """
    missing = {metric, "low", "high"} - set(board.columns)
    if missing:
        raise ValueError(f"leaderboard: the board needs the columns {sorted(missing)} (from evaluation.leaderboard)")
    highlight = list(highlight)
    if highlight and not highlight_label:
        raise ValueError("leaderboard: say what the highlighted models are, e.g. highlight_label='sequence models'")
    unknown = sorted(set(highlight) - set(board.index))
    if unknown:
        raise ValueError(f"leaderboard: no models {unknown} on the board; it has {list(board.index)}")
    order = board.sort_values(metric).index
    values = board.loc[order, metric]
    colors = [COLORS[1] if name in highlight else COLORS[0] for name in order]
    ax.barh(order, values, color=colors, alpha=0.85)
    ax.errorbar(values, order, xerr=[values - board.loc[order, "low"], board.loc[order, "high"] - values],
                fmt="none", color="black", capsize=4)  # fmt: skip
    ax.set_xlabel(f"{metric.replace('ndcg', 'NDCG')} (each model's own 95 % interval; compare models paired)")
    if highlight:
        handles = [Patch(color=COLORS[1], alpha=0.85, label=highlight_label),
                   Patch(color=COLORS[0], alpha=0.85, label="other models")]  # fmt: skip
        ax.legend(handles=handles, loc="lower right")
    if title:
        ax.set_title(title)


def finish(fig=None, title: str | None = None) -> None:
    """Give a figure its title and show it (so a cell ends without a stray return value)."""
    fig = fig or plt.gcf()
    if title:
        fig.suptitle(title, fontsize=14, fontweight="bold")
    plt.show()
