"""Re-ranking: business rules, diversity and calibration over one user's scored list.

A ranker orders candidates by predicted relevance alone. The list a product shows also answers
to rules the model never saw: items the user already has or that are out of stock, no more than a
few items of one kind on a screen, room for the new, a genre mix that looks like the user. Every
function here takes one user's list as two 1-D arrays, ``items`` and ``scores``, in list order
(best first), and returns a new ``(items, scores)``: a subset of the input, in a new order, with
no item twice.

* `filter_items`: drop blocked items (seen, out of stock, not allowed in a market).
* `category_cap`: at most m items of a category in any window of w consecutive positions.
* `mmr`: maximal marginal relevance (Carbonell & Goldstein, SIGIR 1998), greedy:

      next = argmax_{i ∉ S}  λ·rel_i − (1 − λ)·max_{j ∈ S} cos(v_i, v_j)

* `calibrate`: calibrated recommendations (Steck, RecSys 2018), greedy:

      S* = argmax_S  (1 − λ)·Σ_{i ∈ S} rel_i − λ·KL(p ‖ q̃(S)),   q̃ = (1 − α)·q(S) + α·p

  p the genre distribution of the user's history, q(S) that of the list.
* `freshness_boost` (s_i + w·2^(−age_i / half-life)) and `business_boost` (s_i + b_i): add to
  the score, then re-sort by it.
* `RerankPipeline`: rules in order over a batch of users, with a report of what each removed or
  moved.

`mmr` and `calibrate` mix a relevance with a penalty, so they first map the list's scores to
rel ∈ [0, 1] (min–max over the list): λ then means the same whatever the ranker's score scale.
Both return the original scores of the items they keep; ties go to the earlier position, so
``mmr(lam=1)`` and ``calibrate(lam=0)`` return the first k items unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .data import genre_matrix  # one definition, in data; re-exported here where chapter 8 meets it

__all__ = [
    "filter_items",
    "category_cap",
    "mmr",
    "calibrate",
    "freshness_boost",
    "business_boost",
    "genre_matrix",
    "genre_profiles",
    "RerankPipeline",
    "RerankResult",
    "simulate_feedback_loop",
]


# ---------------------------------------------------------------------------------------------
# Rules over one list


def filter_items(items, scores, blocked) -> tuple[np.ndarray, np.ndarray]:
    """Drop every item of ``blocked`` (ids: seen, out of stock, not allowed), keeping the order.

    >>> filter_items([4, 2, 7], [0.9, 0.5, 0.1], blocked={2})
    (array([4, 7]), array([0.9, 0.1]))
    """
    items, scores = _check_list(items, scores, "filter_items")
    blocked = np.fromiter(blocked, dtype=np.int64) if not hasattr(blocked, "__array__") else np.asarray(blocked)
    keep = ~np.isin(items, blocked)
    return items[keep], scores[keep]


def category_cap(items, scores, categories, max_per_category: int, window: int | None = None):
    """At most ``max_per_category`` items of one category in any ``window`` consecutive positions.

    ``categories`` gives each item's category: an array indexed by item id, or a mapping
    (dict, Series) from item id to category. It may instead be an ``(n_items, n_categories)``
    matrix of weights (dense or sparse; `genre_matrix` splits a weight of 1 among a film's genres):
    then an item counts its weight towards each of its categories, and the cap holds on each
    category's summed weight. With ``window=None`` the cap holds over the whole list. Otherwise
    each position takes the earliest remaining item whose categories still have room in the last
    ``window − 1`` positions; items that never fit again are dropped, so the list can come back
    shorter. Within those limits the model's order is kept.

    >>> items, scores = [1, 2, 3, 4], [4.0, 3.0, 2.0, 1.0]
    >>> categories = ["x", "a", "a", "a", "b"]
    >>> category_cap(items, scores, categories, max_per_category=1)
    (array([1, 4]), array([4., 1.]))
    >>> category_cap(items, scores, categories, 1, window=2)
    (array([1, 4, 2]), array([4., 1., 3.]))
    >>> # item 2 is half of each category
    >>> shares = np.array([[1, 0], [1, 0], [0.5, 0.5], [0, 1]])
    >>> category_cap([0, 1, 2, 3], [4.0, 3.0, 2.0, 1.0], shares, 2)[0]
    array([0, 1, 3])
    """
    items, scores = _check_list(items, scores, "category_cap")
    if int(max_per_category) != max_per_category or max_per_category < 1:
        raise ValueError(f"category_cap: max_per_category must be an integer ≥ 1, got {max_per_category}")
    if window is not None and (int(window) != window or window < 1):
        raise ValueError(f"category_cap: window must be None or an integer ≥ 1, got {window}")
    if sp.issparse(categories) or (isinstance(categories, np.ndarray) and categories.ndim == 2):
        weights = _lookup_rows(categories, items, "category_cap", "categories")  # (n, C)
        return _weighted_cap(items, scores, weights, max_per_category, window)
    codes = np.unique(_lookup(categories, items, "category_cap", "categories"), return_inverse=True)[1].ravel()
    if window is None:
        # The n-th item of a category (0-based) keeps its place while n < max_per_category.
        keep = _nth_of_its_kind(codes) < max_per_category
        return items[keep], scores[keep]
    remaining = list(range(len(items)))
    placed: list[int] = []
    while remaining:
        recent = codes[placed[-(window - 1) :]] if window > 1 else codes[:0]
        fits = next((i for i in remaining if (recent == codes[i]).sum() < max_per_category), None)
        if fits is None:  # every remaining category is full in the window: nothing can follow
            break
        placed.append(fits)
        remaining.remove(fits)
    return items[placed], scores[placed]


def mmr(items, scores, item_vectors, lam: float, k: int, n_pinned: int = 0):
    """The first ``k`` items chosen greedily by maximal marginal relevance.

    next = argmax λ·rel_i − (1 − λ)·max_{j chosen} cos(v_i, v_j), rel the min–max scaled score;
    ``item_vectors`` is an ``(n_items, d)`` array (an embedding model's item factors).
    ``lam=1`` is the top k by score; smaller λ trades relevance for dissimilar neighbours. The
    first ``n_pinned`` items keep their places and count as chosen.

    >>> vectors = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
    >>> mmr([0, 1, 2], [1.0, 0.9, 0.5], vectors, lam=0.5, k=2)[0]
    array([0, 2])
    """
    items, scores = _check_list(items, scores, "mmr")
    _check_lam(lam, "mmr")
    k = _check_k(k, "mmr")
    n_pinned = _check_pinned(n_pinned, "mmr")
    vectors = _lookup_rows(item_vectors, items, "mmr", "item_vectors")
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T  # (n, n) cosine
    relevance = _scaled(scores)
    chosen = np.zeros(len(items), dtype=bool)
    closest = np.full(len(items), -np.inf)  # max cosine to anything chosen so far
    order = list(range(min(n_pinned, k, len(items))))
    chosen[order] = True
    if order:
        closest = similarity[order].max(axis=0)
    for _ in range(len(order), min(k, len(items))):
        # The first pick has nothing to be similar to: pure relevance.
        penalty = np.where(np.isneginf(closest), 0.0, closest)
        marginal = np.where(chosen, -np.inf, lam * relevance - (1 - lam) * penalty)
        best = int(np.argmax(marginal))  # ties: the earlier position
        order.append(best)
        chosen[best] = True
        closest = np.maximum(closest, similarity[best])
    return items[order], scores[order]


def calibrate(items, scores, item_genres, user_genre_history, lam: float, k: int, alpha: float = 0.01,
              n_pinned: int = 0):
    """The first ``k`` items chosen greedily to trade relevance for calibration (Steck, 2018).

    Each step adds the item maximising (1 − λ)·Σ_{i∈S} rel_i − λ·KL(p ‖ q̃(S)), rel the min–max
    scaled score, p = ``user_genre_history`` (the user's genre distribution, `genre_profiles`),
    q(S) the mean of the chosen items' rows of ``item_genres`` (`genre_matrix`), and
    q̃ = (1 − α)q + αp. ``lam=0`` is the top k by score; ``lam=1`` only matches genres. A user
    without history (p = 0) has nothing to calibrate to: the top k by score.

    ``n_pinned`` first items keep their places (and count in q): the positions that NDCG and
    users weigh most stay the model's, and calibration works on the rest of the list.

    >>> genres = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> history = [0.5, 0.5]  # the user's genre shares
    >>> calibrate([0, 1, 2], [1.0, 0.9, 0.2], genres, history, lam=0.5, k=2)[0]
    array([0, 2])
    """
    from .evaluation import calibration_kl  # here, not at the top: the serving path imports rerank without sklearn

    items, scores = _check_list(items, scores, "calibrate")
    _check_lam(lam, "calibrate")
    k = _check_k(k, "calibrate")
    n_pinned = _check_pinned(n_pinned, "calibrate")
    if not 0 < alpha <= 1:
        raise ValueError(f"calibrate: alpha must lie in (0, 1], got {alpha}")
    genres = _lookup_rows(item_genres, items, "calibrate", "item_genres")  # (n, G)
    p = np.asarray(user_genre_history, dtype=float)
    if p.shape != (genres.shape[1],) or (p < 0).any() or not np.isfinite(p).all():
        raise ValueError(
            f"calibrate: user_genre_history must hold {genres.shape[1]} non-negative weights, one per "
            f"genre; got shape {p.shape}"
        )
    if p.sum() == 0:
        return items[:k], scores[:k]
    p = p / p.sum()
    relevance = _scaled(scores)
    order = list(range(min(n_pinned, k, len(items))))
    chosen = np.zeros(len(items), dtype=bool)
    chosen[order] = True
    genre_sum = genres[order].sum(axis=0)
    relevance_sum = relevance[order].sum()
    for step in range(len(order), min(k, len(items))):
        q = (genre_sum + genres) / (step + 1)  # (n, G): the list's distribution with each candidate added
        objective = (1 - lam) * (relevance_sum + relevance) - lam * calibration_kl(p, q, alpha)
        best = int(np.argmax(np.where(chosen, -np.inf, objective)))  # ties: the earlier position
        order.append(best)
        chosen[best] = True
        genre_sum += genres[best]
        relevance_sum += relevance[best]
    return items[order], scores[order]


def freshness_boost(items, scores, item_age_days, half_life_days: float = 30.0, weight: float = 1.0):
    """Add ``weight · 2^(−age / half_life_days)`` to each score, then re-sort (stable).

    ``item_age_days`` maps item id → age in days (array or mapping; NaN: no boost). A boost re-sorts
    by score, so it undoes an earlier diversity rule's order: apply it before `mmr` or `calibrate`.

    >>> age_days = [300.0, 0.0]
    >>> freshness_boost([0, 1], [1.0, 0.8], age_days, half_life_days=30,
    ...                 weight=0.5)[0]
    array([1, 0])
    """
    items, scores = _check_list(items, scores, "freshness_boost")
    if not half_life_days > 0:
        raise ValueError(f"freshness_boost: half_life_days must be > 0, got {half_life_days}")
    age = _lookup(item_age_days, items, "freshness_boost", "item_age_days").astype(float)
    if (age < 0).any():
        raise ValueError(f"freshness_boost: item ages must be ≥ 0 days, got {np.nanmin(age)} for an item of the list")
    boost = np.nan_to_num(weight * np.exp2(-age / half_life_days), nan=0.0)
    return _resorted(items, scores + boost)


def business_boost(items, scores, boosts):
    """Add each item's business value ``boosts[item]`` (margin, a promotion) to its score, then re-sort.

    ``boosts`` is an array indexed by item id or a mapping; items a mapping does not name get 0.

    >>> business_boost([0, 1, 2], [1.0, 0.9, 0.8], {2: 0.5})
    (array([2, 0, 1]), array([1.3, 1. , 0.9]))
    """
    items, scores = _check_list(items, scores, "business_boost")
    if isinstance(boosts, Mapping | pd.Series):
        extra = pd.Series(boosts, dtype=float).reindex(items).fillna(0.0).to_numpy()
    else:
        extra = _lookup(boosts, items, "business_boost", "boosts").astype(float)
    return _resorted(items, scores + extra)


# ---------------------------------------------------------------------------------------------
# Genre distributions for calibration


def genre_profiles(interactions: pd.DataFrame, item_genres, n_users: int) -> np.ndarray:
    """p(g|u): each user's genre distribution, the mean of p(g|i) over the items of their history.

    Steck (2018): p(g|u) = Σ_{i∈H_u} w_ui p(g|i) / Σ w_ui, here with w = 1 per interaction.
    Users without history get a row of zeros.
    """
    users = interactions["user_id"].to_numpy()
    history = sp.csr_matrix(
        (np.ones(len(users)), (users, interactions["item_id"].to_numpy())), shape=(n_users, item_genres.shape[0])
    )
    totals = history @ item_genres
    totals = totals.toarray() if sp.issparse(totals) else np.asarray(totals)
    sums = totals.sum(axis=1, keepdims=True)
    return np.divide(totals, sums, out=np.zeros_like(totals), where=sums > 0)


# ---------------------------------------------------------------------------------------------
# A pipeline over many users


@dataclass
class RerankResult:
    """Re-ranked lists of a batch of users, and what each rule did to them.

    ``items``: ``(n_users, k)``, -1 pads a short list; ``scores``: the same shape, NaN pads;
    ``report``: one row per rule, the mean per list of items ``removed`` and of kept items
    ``moved`` (out of the order the removals alone would leave), and the share of lists whose
    first k items changed (``top_k_changed``).
    """

    items: np.ndarray
    scores: np.ndarray
    report: pd.DataFrame


class RerankPipeline:
    """Re-ranking rules applied in order to each user's list.

    ``steps`` is a list of ``(name, rule)``; a rule is called as ``rule(user_id, items, scores)``
    and returns ``(items, scores)``, usually by calling one of this module's functions with that
    user's data (their seen items, their genre history). The pipeline checks that no rule
    invents or repeats an item.

    >>> def drop_seen(user, items, scores):
    ...     return filter_items(items, scores, [5])
    >>> pipeline = RerankPipeline([("drop seen", drop_seen)])
    >>> items, scores = np.array([[5, 6, 7]]), np.array([[3.0, 2.0, 1.0]])
    >>> result = pipeline.apply([0], items, scores, k=2)
    >>> # report columns: removed, moved, top_k_changed
    >>> result.items.tolist(), result.report.loc["drop seen"].tolist()
    ([[6, 7]], [1.0, 0.0, 1.0])
    """

    def __init__(self, steps):
        self.steps = steps

    def rerank(self, user_id, items, scores) -> tuple[np.ndarray, np.ndarray]:
        """One user's list through every rule."""
        self._names()
        return self._run(user_id, items, scores, report=None)

    def apply(self, user_ids, items, scores, k: int = 10) -> RerankResult:
        """Every user's list (rows of ``items``/``scores``, -1 padding ignored) through every rule.

        Returns the first ``k`` items of each re-ranked list with the per-rule report.
        """
        items = np.asarray(items)
        scores = np.asarray(scores, dtype=float)
        user_ids = np.asarray(user_ids)
        if items.ndim != 2 or items.shape != scores.shape or len(user_ids) != len(items):
            raise ValueError(
                f"RerankPipeline.apply: items and scores must be (n_users, n) arrays of one shape with one "
                f"user id per row; got items {items.shape}, scores {scores.shape}, {len(user_ids)} user ids"
            )
        names = self._names()
        k = _check_k(k, "RerankPipeline.apply")
        counts = {name: np.zeros(3) for name in names}
        out_items = np.full((len(items), k), -1, dtype=np.int64)
        out_scores = np.full((len(items), k), np.nan)
        for row, user in enumerate(user_ids):
            valid = items[row] >= 0
            kept_items, kept_scores = self._run(user, items[row][valid], scores[row][valid], counts, k)
            out_items[row, : len(kept_items[:k])] = kept_items[:k]
            out_scores[row, : len(kept_items[:k])] = kept_scores[:k]
        report = pd.DataFrame(
            [counts[name] / max(len(items), 1) for name in names],
            index=pd.Index(names, name="rule"),
            columns=["removed", "moved", "top_k_changed"],
        )
        return RerankResult(out_items, out_scores, report)

    def _names(self) -> list[str]:
        names = [name for name, _ in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"RerankPipeline: step names must be distinct, got {names}")
        return names

    def _run(self, user, items, scores, report, k=None):
        items, scores = _check_list(items, scores, "RerankPipeline")
        for name, rule in self.steps:
            new_items, new_scores = (np.asarray(a) for a in rule(user, items, scores))
            if len(new_items) != len(new_scores):
                raise ValueError(
                    f"RerankPipeline: rule {name!r} returned {len(new_items)} items but {len(new_scores)} scores"
                )
            if len(np.unique(new_items)) != len(new_items) or not np.isin(new_items, items).all():
                raise ValueError(
                    f"RerankPipeline: rule {name!r} repeated an item or returned one that was not in its input"
                )
            if report is not None:
                in_input_order = items[np.isin(items, new_items)]  # where the removals alone leave them
                report[name] += (
                    len(items) - len(new_items),
                    (in_input_order != new_items).sum(),
                    not np.array_equal(items[:k], new_items[:k]),
                )
            items, scores = new_items, new_scores
        return items, scores


# ---------------------------------------------------------------------------------------------
# A filter bubble in miniature


def simulate_feedback_loop(fit, interactions: pd.DataFrame, users, n_sessions: int, k: int = 10,
                           n_accepted: int = 1, n_candidates: int = 100, refit_every: int | None = None,
                           rerank=None) -> np.ndarray:
    """Lists ``users`` see when each session's top ``n_accepted`` items join their history and the
    model is retrained on its own recommendations.

    ``fit(interactions)`` trains a model on a DataFrame of ``user_id``, ``item_id`` rows and returns
    ``score_items(history)``, a score for every item of the catalogue given a history (item ids).
    The loop starts from ``interactions``. Each session, for each user in turn, ranks the
    ``n_candidates`` best unseen items, applies ``rerank(user, history, items, scores)`` if given,
    shows the first ``k``, and the user accepts the first ``n_accepted`` of them: they join the
    user's history at once and the log of accepted items. Every ``refit_every`` sessions the model
    is fitted again on ``interactions`` plus that log (``None``: never; only the histories grow).
    Returns the ``(len(users), n_sessions, k)`` lists shown, -1 padding a short one.

    A deterministic user who takes what is on top: the loop a system creates when it learns from
    the clicks on its own lists.
    """
    if refit_every is not None and (int(refit_every) != refit_every or refit_every < 1):
        raise ValueError(f"simulate_feedback_loop: refit_every must be None or an integer ≥ 1, got {refit_every}")
    users = np.asarray(users)
    seen = interactions.groupby("user_id")["item_id"].apply(list)
    histories = {int(u): [int(i) for i in seen.get(u, [])] for u in users}
    accepted: list[tuple[int, int]] = []
    score_items = fit(interactions)
    shown = np.full((len(users), n_sessions, k), -1, dtype=np.int64)
    for session in range(n_sessions):
        if refit_every is not None and session > 0 and session % refit_every == 0:
            logged = pd.DataFrame(accepted, columns=["user_id", "item_id"])
            score_items = fit(pd.concat([interactions[["user_id", "item_id"]], logged], ignore_index=True))
        for row, user in enumerate(users):
            history = np.asarray(histories[int(user)], dtype=np.int64)
            scores = np.asarray(score_items(history), dtype=float).copy()
            scores[history] = -np.inf
            candidates = np.argsort(-scores, kind="stable")[:n_candidates]
            candidates = candidates[np.isfinite(scores[candidates])]
            items, _ = (candidates, scores[candidates]) if rerank is None else rerank(
                user, history, candidates, scores[candidates]
            )
            shown[row, session, : len(items[:k])] = items[:k]
            histories[int(user)].extend(int(i) for i in items[:n_accepted])
            accepted.extend((int(user), int(i)) for i in items[:n_accepted])
    return shown


# ---------------------------------------------------------------------------------------------
# Checks and small kernels


def _check_list(items, scores, caller) -> tuple[np.ndarray, np.ndarray]:
    items = np.asarray(items)
    scores = np.asarray(scores, dtype=float)
    if items.ndim != 1 or scores.ndim != 1 or len(items) != len(scores):
        raise ValueError(
            f"{caller}: items and scores must be 1-D arrays of one length (one user's list); "
            f"got shapes {items.shape} and {scores.shape}"
        )
    if len(items) and not np.issubdtype(items.dtype, np.integer):
        raise ValueError(f"{caller}: items must be integer item ids, got dtype {items.dtype}")
    if (items < 0).any():
        raise ValueError(f"{caller}: item ids must be ≥ 0 (strip the -1 padding first), got {items.min()}")
    if len(np.unique(items)) != len(items):
        raise ValueError(f"{caller}: the list holds an item twice")
    if np.isnan(scores).any():
        raise ValueError(f"{caller}: scores contain NaN")
    return items.astype(np.int64), scores


def _check_lam(lam, caller) -> None:
    if not 0 <= lam <= 1:
        raise ValueError(f"{caller}: lam must lie in [0, 1], got {lam}")


def _check_pinned(n_pinned, caller) -> int:
    if int(n_pinned) != n_pinned or n_pinned < 0:
        raise ValueError(f"{caller}: n_pinned must be an integer ≥ 0, got {n_pinned}")
    return int(n_pinned)


def _check_k(k, caller) -> int:
    if int(k) != k or k < 1:
        raise ValueError(f"{caller}: k must be an integer ≥ 1, got {k}")
    return int(k)


def _lookup(table, items: np.ndarray, caller: str, what: str) -> np.ndarray:
    """``table[item]`` for each item, where ``table`` is an array by item id or a mapping."""
    if isinstance(table, Mapping):
        table = pd.Series(table)
    if isinstance(table, pd.Series):
        where = table.index.get_indexer(items)
        if (where < 0).any():
            raise ValueError(f"{caller}: {what} has no entry for item id(s) {items[where < 0][:5].tolist()}")
        return table.to_numpy()[where]
    table = np.asarray(table)
    if len(items) and items.max() >= len(table):
        raise ValueError(f"{caller}: unknown item id {items.max()}; {what} covers ids 0..{len(table) - 1}")
    return table[items]


def _lookup_rows(matrix, items: np.ndarray, caller: str, what: str) -> np.ndarray:
    """Rows ``items`` of an ``(n_items, m)`` dense or sparse matrix, dense."""
    if matrix.ndim != 2:
        raise ValueError(f"{caller}: {what} must be an (n_items, m) matrix, got shape {matrix.shape}")
    if len(items) and items.max() >= matrix.shape[0]:
        raise ValueError(f"{caller}: unknown item id {items.max()}; {what} covers ids 0..{matrix.shape[0] - 1}")
    rows = matrix[items]
    return rows.toarray() if sp.issparse(rows) else np.asarray(rows, dtype=float)


def _scaled(scores: np.ndarray) -> np.ndarray:
    """Min–max scaling of one list's scores to [0, 1]; a list of equal scores maps to 1."""
    finite = np.where(np.isfinite(scores), scores, np.nan)
    if not len(scores) or np.isnan(finite).all():
        return np.ones(len(scores))
    low, high = np.nanmin(finite), np.nanmax(finite)
    if high == low:
        return np.where(np.isfinite(scores), 1.0, 0.0)
    return np.nan_to_num((scores - low) / (high - low), nan=0.0, posinf=1.0, neginf=0.0)


def _nth_of_its_kind(codes: np.ndarray) -> np.ndarray:
    """0-based count of earlier entries with the same code, for each entry."""
    order = np.argsort(codes, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(codes[order])) + 1]
    within = np.arange(len(codes)) - np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    nth = np.empty(len(codes), dtype=np.int64)
    nth[order] = within
    return nth


def _resorted(items: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-scores, kind="stable")
    return items[order], scores[order]


def _weighted_cap(items, scores, weights, cap, window):
    """`category_cap` over an ``(n, C)`` matrix of category weights: each category's summed weight ≤ cap."""
    room = cap + 1e-9  # three films of three genres each sum to 1 up to rounding
    if window is None:
        total = np.zeros(weights.shape[1])
        keep = np.zeros(len(items), dtype=bool)
        for i, row in enumerate(weights):
            if (total + row <= room).all():
                keep[i] = True
                total += row
        return items[keep], scores[keep]
    remaining = np.arange(len(items))
    placed: list[int] = []
    while len(remaining):
        recent = weights[placed[-(window - 1) :]].sum(axis=0) if window > 1 else 0.0
        fits = np.flatnonzero((recent + weights[remaining] <= room).all(axis=1))
        if not len(fits):  # every remaining item would overfill a category in the window
            break
        placed.append(int(remaining[fits[0]]))
        remaining = np.delete(remaining, fits[0])
    return items[placed], scores[placed]
