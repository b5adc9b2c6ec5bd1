"""Unbiased learning to rank from clicks: position bias measured by randomisation, and removed
by inverse-propensity weights.

Under the position-based model a shown item is clicked when its position j is examined
(probability e_j) and the item attracts the user (ρ)::

    P(click) = e_j · ρ.

Clicks therefore rank items by where the old ranker put them as much as by relevance. Two
remedies (Joachims, Swaminathan and Schnabel, "Unbiased Learning-to-Rank with Biased
Feedback", WSDM 2017; Wang et al., "Position Bias Estimation for Unbiased Learning to Rank in
Personal Search", WSDM 2018):

* **measure e_j by randomisation**. Shuffle the top k on a share of traffic, or swap the top
  result with a random position j: the randomised items' attraction no longer depends on the
  position, so the click rate at j over the click rate at 1 estimates e_j / e_1;
* **weight each click by 1 / e_j**. A click at j is seen with probability e_j, so weighting it by
  1 / e_j makes any loss summed over clicked items unbiased for the loss over attractive items.
  `click_queries` turns a click log into one LambdaMART query per click, every row weighted by
  its click's 1 / e_j, for `~recsys_tutorial.ranking.GBDTRanker`'s ``sample_weight``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.stats

__all__ = ["shuffle_intervention", "swap_intervention", "examination_by_position", "click_queries"]


def shuffle_intervention(slates, rng) -> np.ndarray:
    """Each slate's items in a uniformly random order (RandTop-k; Joachims et al., 2017).

    Every item of a slate is equally likely at every position, so each position sees the same
    mix of attraction. ``slates`` is ``(n_rounds, k)``; returns a new array.

    >>> slates = np.arange(6).reshape(2, 3)
    >>> shuffled = shuffle_intervention(slates, np.random.default_rng(0))
    >>> np.sort(shuffled, axis=1).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    slates = _check_slates(slates, "shuffle_intervention")
    rng = np.random.default_rng(rng)
    order = np.argsort(rng.random(slates.shape), axis=1)
    return np.take_along_axis(slates, order, axis=1)


def swap_intervention(slates, rng) -> tuple[np.ndarray, np.ndarray]:
    """The top item swapped with the item at a uniformly random position j ∈ {1, …, k}.

    j = 1 leaves the slate as it was. The top item's attraction is the same whatever j, so its
    click rate at j over its click rate at 1 estimates e_j / e_1; the other items keep their
    places except one, which makes the intervention cheaper than a shuffle (Wang et al., 2018).
    Returns the new slates and j, the position (1-based) of the old top item, per round.

    >>> slates = np.array([[10, 11, 12], [20, 21, 22]])
    >>> swapped, j = swap_intervention(slates, np.random.default_rng(1))
    >>> swapped[[0, 1], j - 1].tolist()
    [10, 20]
    """
    slates = _check_slates(slates, "swap_intervention")
    rng = np.random.default_rng(rng)
    rows = np.arange(len(slates))
    j = rng.integers(0, slates.shape[1], len(slates))  # 0-based
    swapped = slates.copy()
    swapped[rows, 0], swapped[rows, j] = slates[rows, j], slates[rows, 0]
    return swapped, j + 1


def examination_by_position(positions, clicks, level: float = 0.95) -> pd.DataFrame:
    """Relative examination e_j / e_1 from randomised rows: click rate at j over click rate at 1.

    ``positions`` (1 = top) and ``clicks`` (0/1) are one entry per shown item whose position was
    chosen at random (every row of a shuffled slate; only the old top item of a swapped one).
    The interval is the delta method's on the log of the ratio, rows taken as independent::

        se(log r̂_j) = √((1 − p̂_j) / (n_j p̂_j) + (1 − p̂_1) / (n_1 p̂_1))

    Returns one row per position: ``rows``, ``clicks``, ``click_rate``, ``examination``
    (r̂_j, 1 at position 1), ``ci_low``, ``ci_high``.

    >>> table = examination_by_position([1, 1, 1, 1, 2, 2, 2, 2],
    ...                                 [1, 1, 0, 0, 1, 0, 0, 0])
    >>> table["examination"].tolist()
    [1.0, 0.5]
    """
    positions = np.asarray(positions)
    clicks = np.asarray(clicks, dtype=np.float64)
    if positions.ndim != 1 or positions.shape != clicks.shape or len(positions) == 0:
        raise ValueError("examination_by_position: positions and clicks must be 1-D, non-empty, of equal length")
    if not np.isin(clicks, (0, 1)).all():
        raise ValueError("examination_by_position: clicks must be 0 or 1")
    if not 0 < level < 1:
        raise ValueError(f"examination_by_position: level must lie in (0, 1), got {level!r}")
    table = pd.DataFrame({"position": positions, "click": clicks}).groupby("position")["click"].agg(
        rows="size", clicks="sum")  # fmt: skip
    if 1 not in table.index or table.loc[1, "clicks"] == 0:
        raise ValueError("examination_by_position: no click at position 1, the reference")
    table["clicks"] = table["clicks"].astype(np.int64)
    table["click_rate"] = table["clicks"] / table["rows"]
    top = table.loc[1]
    table["examination"] = table["click_rate"] / top["click_rate"]
    # se(log r̂) by the delta method; a position without clicks gets an infinite one
    with np.errstate(divide="ignore"):
        se = np.sqrt((1 - table["click_rate"]) / table["clicks"] + (1 - top["click_rate"]) / top["clicks"])
    z = scipy.stats.norm.isf((1 - level) / 2)
    table["ci_low"] = table["examination"] * np.exp(-z * se)
    table["ci_high"] = table["examination"] * np.exp(z * se)
    return table


def click_queries(log: pd.DataFrame, examination=None) -> pd.DataFrame:
    """A LambdaMART frame from a click log: one query per click, weighted by 1 / e_j.

    ``log`` has one row per shown item, as `~recsys_tutorial.simulation.ClickSimulator.log`
    writes it: ``round``, ``user_id``, ``item_id``, ``position`` (1 = top) and ``click``. Each
    click becomes a query of its own: the clicked item (``label`` 1) against the round's items
    that were not clicked (``label`` 0), so that every pair the loss sees has one click, and
    weighting the whole query by that click's 1 / e_j weights each pair as Propensity SVM-Rank
    does (Joachims et al., 2017). ``examination`` maps a position to e_j (an array indexed by
    j − 1, or a Series indexed by j); None weighs every query 1, the naive frame.

    Returns ``request_id``, ``round``, ``user_id``, ``item_id``, ``position``, ``label`` and
    ``weight``, ordered by request.

    >>> log = pd.DataFrame({"round": [0, 0, 0], "user_id": [7, 7, 7],
    ...                     "item_id": [3, 1, 2], "position": [1, 2, 3],
    ...                     "click": [0, 1, 1]})
    >>> frame = click_queries(log, examination=[1.0, 0.5, 0.25])
    >>> frame[["request_id", "item_id", "label"]].values.tolist()
    [[0, 3, 0], [0, 1, 1], [1, 3, 0], [1, 2, 1]]
    >>> frame["weight"].tolist()
    [2.0, 2.0, 4.0, 4.0]
    """
    missing = [c for c in ["round", "user_id", "item_id", "position", "click"] if c not in log.columns]
    if missing:
        raise ValueError(f"click_queries: the log is missing column(s) {missing}")
    if not log["click"].isin([0, 1]).all():
        raise ValueError("click_queries: click must be 0 or 1")
    clicked = log[log["click"] == 1].reset_index(drop=True)
    if clicked.empty:
        raise ValueError("click_queries: the log has no click")
    # Each click's query: the click itself and its round's unclicked rows, in log order.
    unclicked = log[log["click"] == 0]
    query = clicked[["round", "position"]].rename(columns={"position": "_clicked_at"})
    query["request_id"] = np.arange(len(clicked))
    rows = pd.concat([clicked.assign(request_id=query["request_id"], _clicked_at=clicked["position"]),
                      unclicked.merge(query, on="round")])  # fmt: skip
    rows = rows.sort_values(["request_id", "position"], kind="stable").reset_index(drop=True)
    if examination is None:
        rows["weight"] = 1.0
    else:
        e = _examination_lookup(examination, rows["_clicked_at"].to_numpy())
        rows["weight"] = 1.0 / e
    rows["label"] = rows["click"].astype(np.int64)
    return rows[["request_id", "round", "user_id", "item_id", "position", "label", "weight"]]


# ---------------------------------------------------------------------------------------------
# private helpers


def _check_slates(slates, caller: str) -> np.ndarray:
    slates = np.asarray(slates)
    if slates.ndim != 2 or slates.shape[1] < 1:
        raise ValueError(f"{caller}: expected slates of shape (n_rounds, k), got {slates.shape}")
    return slates


def _examination_lookup(examination, positions: np.ndarray) -> np.ndarray:
    if isinstance(examination, pd.Series):
        e = examination.reindex(positions).to_numpy(dtype=np.float64)
    else:
        table = np.asarray(examination, dtype=np.float64)
        if positions.max() > len(table):
            raise ValueError(f"click_queries: no examination probability for position {positions.max()}")
        e = table[positions - 1]
    if np.isnan(e).any() or not (e > 0).all():
        raise ValueError("click_queries: every clicked position needs an examination probability > 0")
    return e
