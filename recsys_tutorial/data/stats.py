"""Descriptive statistics of interaction data: sparsity, long tails, the funnel, time.

The long-tail measures, for counts x_1..x_n (events per item, say):

* Zipf exponent: the slope s of  log x_(r) = c − s · log r  over ranks r (a straight line on a
  log-log rank–frequency plot is the signature of a power law);
* power-law exponent α of the count distribution, P(X = x) ∝ x^(−α), by the discrete maximum
  likelihood approximation of Clauset, Shalizi & Newman (2009):  α̂ = 1 + n / Σ ln(x_i / (x_min − ½));
  for Zipf-ranked data α ≈ 1 + 1/s;
* Gini coefficient G = Σ_i (2i − n − 1) x_(i) / (n Σ x), with x sorted ascending: 0 when every
  item is equally popular, (n − 1)/n when one item takes everything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import EVENT_TYPES, Dataset

__all__ = [
    "summary",
    "zipf_exponent",
    "zipf_fit",
    "power_law_alpha",
    "gini",
    "lorenz_curve",
    "top_share",
    "funnel_table",
    "daily_counts",
    "counts_per",
]


def counts_per(dataset: Dataset, column: str = "item_id") -> np.ndarray:
    """Events per item (``column="item_id"``) or per user, over the whole table, zeros included."""
    if column not in ("item_id", "user_id"):
        raise ValueError(f"counts_per: column must be 'item_id' or 'user_id', got {column!r}")
    size = dataset.n_items if column == "item_id" else dataset.n_users
    return np.bincount(dataset.interactions[column].to_numpy(), minlength=size)


def summary(dataset: Dataset) -> pd.Series:
    """Key statistics of a dataset: sizes, density, activity and the span of time.

    ``density`` is the share of user–item pairs with at least one event; ``sparsity`` is 1 − density.

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> world = make_synthetic(n_users=100, n_items=50, n_interactions=500)
    >>> s = summary(world)
    >>> int(s["events"])
    500
    """
    inter = dataset.interactions
    pairs = len(inter[["user_id", "item_id"]].drop_duplicates())
    per_user = inter.groupby("user_id", observed=True).size()
    per_item = inter.groupby("item_id", observed=True).size()
    start, end = inter["timestamp"].min(), inter["timestamp"].max()
    density = pairs / (dataset.n_users * dataset.n_items)
    return pd.Series(
        {
            "users": dataset.n_users,
            "items": dataset.n_items,
            "events": len(inter),
            "user-item pairs": pairs,
            "active users": len(per_user),
            "active items": len(per_item),
            "density": round(density, 6),
            "sparsity": round(1 - density, 6),
            "events per active user (median)": float(per_user.median()),
            "events per active item (median)": float(per_item.median()),
            "share of events with a rating": round(float(inter["rating"].notna().mean()), 4),
            "days": round((end - start).total_seconds() / 86_400, 1),
        },
        name=dataset.name,
        dtype=object,
    )


def zipf_exponent(counts, min_rank: int = 1, max_rank: int | None = None) -> float:
    """Slope s of the rank–frequency line ``log count = c − s · log rank`` (least squares).

    Ranks run from 1 (the largest count); zero counts are dropped, since their log is undefined.
    Fit a range of ranks (``min_rank..max_rank``) where the plot looks straight.

    Examples
    --------
    >>> counts = 1000 * np.arange(1, 101, dtype=float) ** -1.2
    >>> round(zipf_exponent(counts), 3)
    1.2
    """
    return zipf_fit(counts, min_rank, max_rank)[0]


def zipf_fit(counts, min_rank: int = 1, max_rank: int | None = None) -> tuple[float, float]:
    """The Zipf exponent s (as in `zipf_exponent`) and the R² of the log-log line.

    R² near 1 says the counts really do lie on a straight line over those ranks; a curved
    rank–frequency plot (a flat head, a cliff at the tail) gives a clearly lower R², and then the
    exponent describes a power law that is not there.
    """
    x = _positive_sorted_desc(counts)
    max_rank = len(x) if max_rank is None else min(max_rank, len(x))
    if not 1 <= min_rank < max_rank:
        raise ValueError(
            f"zipf_fit: need 1 <= min_rank < max_rank <= number of positive counts ({len(x)}), "
            f"got min_rank={min_rank}, max_rank={max_rank}"
        )
    log_rank = np.log(np.arange(min_rank, max_rank + 1))
    log_count = np.log(x[min_rank - 1 : max_rank])
    slope, intercept = np.polyfit(log_rank, log_count, 1)
    residual = log_count - (intercept + slope * log_rank)
    total = ((log_count - log_count.mean()) ** 2).sum()
    r_squared = 1.0 - (residual**2).sum() / total if total > 0 else 1.0
    return float(-slope), float(r_squared)


def power_law_alpha(counts, x_min: int = 6) -> float:
    """Maximum-likelihood exponent α of a discrete power law ``P(x) ∝ x^−α`` for ``x >= x_min``.

    Uses the approximation of Clauset, Shalizi & Newman (2009, eq. 3.7), accurate for
    ``x_min`` of about 6 or more; smaller ``x_min`` biases it.
    """
    x = np.asarray(counts, dtype=float)
    tail = x[x >= x_min]
    if x_min < 1 or len(tail) < 2:
        raise ValueError(f"power_law_alpha: need x_min >= 1 and at least 2 counts >= x_min, got x_min={x_min}")
    return float(1 + len(tail) / np.log(tail / (x_min - 0.5)).sum())


def gini(counts) -> float:
    """Gini coefficient of non-negative counts: 0 for perfect equality, (n − 1)/n at the extreme.

    Examples
    --------
    >>> gini([5, 5, 5, 5]), gini([0, 0, 0, 8])
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(counts, dtype=float))
    if len(x) == 0 or np.any(x < 0) or x.sum() == 0:
        raise ValueError("gini: need a non-empty array of non-negative counts with a positive sum")
    n = len(x)
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * x.sum()))


def lorenz_curve(counts) -> tuple[np.ndarray, np.ndarray]:
    """Points of the Lorenz curve: (share of entities, share of the total they hold), from (0, 0).

    Entities are sorted from least to most popular, so the curve sags below the diagonal by as
    much as the counts are unequal; the Gini coefficient is twice the area between the two.
    """
    x = np.sort(np.asarray(counts, dtype=float))
    if len(x) == 0 or x.sum() <= 0:
        raise ValueError("lorenz_curve: need a non-empty array of counts with a positive sum")
    population = np.arange(len(x) + 1) / len(x)
    mass = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    return population, mass


def top_share(counts, fraction: float = 0.1) -> float:
    """Share of the total held by the top ``fraction`` of entities (at least one entity)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"top_share: fraction must lie in (0, 1], got {fraction}")
    x = _sorted_desc(counts)
    n_top = max(1, int(round(fraction * len(x))))
    return float(x[:n_top].sum() / x.sum())


def funnel_table(interactions: pd.DataFrame) -> pd.DataFrame:
    """Events per funnel step, with the conversion from the previous step and from a view."""
    steps = [e for e in EVENT_TYPES if e != "rating"]
    counts = interactions["event_type"].value_counts().reindex(steps, fill_value=0)
    table = pd.DataFrame({"events": counts})
    table["share of events"] = table["events"] / table["events"].sum()
    table["from previous step"] = table["events"] / table["events"].shift(1)
    table["from view"] = table["events"] / table["events"].iloc[0]
    table.index.name = "event_type"
    return table


def daily_counts(interactions: pd.DataFrame) -> pd.Series:
    """Events per calendar day (days with no event count 0)."""
    days = interactions["timestamp"].dt.floor("D")
    counts = days.value_counts().sort_index()
    full = pd.date_range(counts.index.min(), counts.index.max(), freq="D")
    return counts.reindex(full, fill_value=0).rename("events")


def _sorted_desc(counts) -> np.ndarray:
    x = np.asarray(counts, dtype=float)
    if len(x) == 0 or np.any(x < 0) or x.sum() <= 0:
        raise ValueError("need a non-empty array of non-negative counts with a positive sum")
    return np.sort(x)[::-1]


def _positive_sorted_desc(counts) -> np.ndarray:
    x = _sorted_desc(counts)
    return x[x > 0]
