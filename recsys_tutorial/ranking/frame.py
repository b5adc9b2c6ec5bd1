"""The ranking frame: one row per (request, candidate item), with point-in-time features and a label.

A second-stage ranker learns from rows like these. For each request (a user at a request time),
the candidate pool is the merged top lists of several fitted retrieval models (chapter 5's
`retrieval.merge_candidates`); each (request, candidate) row carries

* ``retrieval__*``: every retriever's score and rank for the item (ranks past 300 count as
  300), the source that put it in the pool, and how many retrievers rank it among their first
  ``per_source``;
* ``item__*``: the item's activity as of the request time (events in all, in the last 7 and 30
  days, days since its last event, smoothed mean rating and funnel rates), its age since release
  and its category;
* ``user__*``: the user's activity as of the request time, and side columns of the users table;
* ``user_item__*``: the user's events in the item's category and the smoothed share of them
  (chapter 2's ``user_category_affinity``), and, where items have genres, the same per genre;
* ``context__*``: hour and day of week of the request, days since the user's last event;

and, when the future is given, ``label``: the strongest thing the user did with the item in
it (graded: view 1, click 2, add to cart 3, purchase 4; any other event, such as a
rating, 1; 0 for nothing).

Point in time. Every ``item__``, ``user__``, ``user_item__`` and ``context__`` feature of a row
is computed from the events of ``history`` strictly before that row's request time, with chapter
2's definitions (`recsys_tutorial.features`), so adding or changing an event at or after the
request time changes none of them. The retrieval models are fitted by the caller: their scores
are point in time when every event they were fitted on precedes the request times (a global
time split). Under a per-user split a retriever has seen other users' later events, exactly as it
has when it is evaluated alone; the comparison with it stays fair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import _FUNNEL, _RATING_MIDPOINT
from ..models.base import top_k
from ..retrieval import merge_candidates

__all__ = [
    "build_ranking_frame", "default_request_times", "feature_columns", "feature_groups", "ranked_lists", "GRADES",
]

#: Label grade of each event type; any other event type (e.g. a rating) grades 1.
GRADES = {"view": 1, "click": 2, "add_to_cart": 3, "purchase": 4}
_DAY_SECONDS = 86_400.0
#: Retrieval ranks are exact up to here and recorded as this value beyond it; also the most
#: items a source may propose.
RANK_CAP = 300
#: Dense retrieval scores held at once while a frame is built (8 bytes each): about 270 MB.
_SCORES_PER_CHUNK = 2**25
_SEPARATOR = "__"
_ONE_SECOND = pd.Timedelta(seconds=1)


def default_request_times(history: pd.DataFrame, user_ids, after=_ONE_SECOND) -> pd.Series:
    """A request time per user: just ``after`` the user's last event in ``history``.

    The moment a user would next ask for recommendations, knowing nothing of what followed.
    Users without events in ``history`` get the log's last event time plus ``after``.
    """
    users = np.asarray(user_ids, dtype=np.int64)
    last = history.groupby("user_id")["timestamp"].max()
    fallback = history["timestamp"].max() if len(history) else pd.Timestamp(0)
    times = last.reindex(users).fillna(fallback) + pd.Timedelta(after)
    return pd.Series(times.to_numpy(), index=pd.Index(users, name="user_id"), name="request_time")


def build_ranking_frame(
    history: pd.DataFrame,
    requests: pd.Series,
    retrievers: dict,
    items: pd.DataFrame,
    users: pd.DataFrame | None = None,
    n_candidates: int = 100,
    per_source: int | None = None,
    future: pd.DataFrame | None = None,
    user_columns=(),
    sources=None,
    labels_after_request: bool = False,
    prior_strength: float = 10.0,
) -> pd.DataFrame:
    """Candidates, point-in-time features and (with ``future``) labels for each request.

    Parameters
    ----------
    history : DataFrame
        Interactions known to the system (``user_id``, ``item_id``, ``timestamp``,
        ``event_type``, ``rating``); features use only its events before each request time.
    requests : Series
        Request time (datetime) per user, indexed by ``user_id`` (one request per user).
    retrievers : dict
        Name → fitted retrieval model (the recommender protocol). Each proposes its top
        ``per_source`` unseen items, merged round robin into a pool of ``n_candidates``.
    items : DataFrame
        The items table: ``category``, optional ``release_date`` and ``genres``; fixes the
        number of items.
    users : DataFrame, optional
        The users table, for the ``user_columns`` copied as ``user__<column>``.
    n_candidates, per_source : int
        Pool size per request; items each source proposes (default: ``n_candidates``, at most
        300).
    future : DataFrame, optional
        The interactions to predict, each user's after that user's ``history`` (as a temporal
        split makes them): the labels.
    user_columns : sequence of str
        Columns of ``users`` to copy (strings become categorical features).
    sources : sequence of str, optional
        The retrievers that propose candidates (default: all); the others only score them.
    labels_after_request : bool
        Count only the ``future`` events at or after the request time, for a ``future`` that
        also holds earlier events. Off by default: a request placed one second after a user's
        last event would drop later events logged in that same second (MovieLens records
        ratings to the second, and many share one).
    prior_strength : float
        Pseudo-events of the smoothed rates and affinities (chapter 2).

    Returns
    -------
    DataFrame
        ``user_id``, ``item_id``, ``request_time``, the features (``<group>__<name>``) and, with
        ``future``, ``label``. Rows are grouped by request, in the order of ``requests``, and
        candidates in pool order.

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> from recsys_tutorial.models import Popularity
    >>> world = make_synthetic(n_users=200, n_items=100, n_interactions=2_000,
    ...                        random_state=0)
    >>> known = world.interactions
    >>> requests = default_request_times(known, [0, 1, 2])
    >>> retrievers = {"Popularity": Popularity().fit(known)}
    >>> frame = build_ranking_frame(known, requests, retrievers, world.items,
    ...                             n_candidates=20)
    >>> frame.shape[0], sorted(feature_groups(frame))
    (60, ['context', 'item', 'retrieval', 'user', 'user_item'])
    """
    _check_inputs(history, requests, retrievers, items, n_candidates, per_source, sources)
    n_items = len(items)
    request_users = requests.index.to_numpy(dtype=np.int64)
    request_times = pd.DatetimeIndex(requests.to_numpy())
    per_source = n_candidates if per_source is None else per_source

    # 1) Every retriever scores every item for each request (seen items -inf) and ranks its top
    #    RANK_CAP; the sources' first per_source items, merged round robin, are the pool.
    # 2) Retrieval: each model's score and rank among the user's unseen items.
    #    Requests go in chunks, so that a large catalogue's dense scores fit in memory.
    sources = list(retrievers) if sources is None else list(sources)
    chunk = max(1, _SCORES_PER_CHUNK // max(n_items, 1))
    starts = range(0, len(request_users), chunk)
    parts = [_retrieval_block(retrievers, sources, request_users[start : start + chunk], n_items, n_candidates,
                              per_source) for start in starts]
    row_request = np.concatenate([rows + start for (rows, _), start in zip(parts, starts, strict=True)])
    retrieval = pd.concat([block for _, block in parts], ignore_index=True)
    frame = pd.DataFrame({"user_id": request_users[row_request], "item_id": retrieval.pop("item_id").to_numpy(),
                          "request_time": request_times[row_request]})
    frame = pd.concat([frame, retrieval], axis=1)
    frame["retrieval__source"] = pd.Categorical(frame["retrieval__source"], categories=sources)

    # 3) Point-in-time features of the item, the user, the pair and the moment.
    times = frame["request_time"].to_numpy()
    frame = pd.concat(
        [
            frame,
            _item_block(history, items, frame["item_id"].to_numpy(), times, prior_strength),
            _user_block(history, users, user_columns, frame["user_id"].to_numpy(), times, prior_strength),
            _user_item_block(history, items, frame, prior_strength),
            _context_block(history, frame["user_id"].to_numpy(), times),
        ],
        axis=1,
    )
    if future is not None:
        frame["label"] = _labels(future, frame, labels_after_request)
    return frame


def feature_groups(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Group name → feature columns of a ranking frame (columns named ``<group>__<name>``)."""
    groups: dict[str, list[str]] = {}
    for column in frame.columns:
        if isinstance(column, str) and _SEPARATOR in column:
            groups.setdefault(column.split(_SEPARATOR)[0], []).append(column)
    return groups


def feature_columns(frame: pd.DataFrame, groups=None, exclude=()) -> list[str]:
    """The feature columns of ``groups`` (default: every group), minus the groups in ``exclude``."""
    available = feature_groups(frame)
    chosen = list(available) if groups is None else list(groups)
    unknown = [g for g in [*chosen, *exclude] if g not in available]
    if unknown:
        raise ValueError(f"feature_columns: unknown group(s) {unknown}; the frame has {sorted(available)}")
    return [column for group in chosen if group not in exclude for column in available[group]]


def ranked_lists(frame: pd.DataFrame, user_ids, scores=None, k: int | None = None, with_scores: bool = False):
    """Each user's candidates as a ``(len(user_ids), k)`` item array, best score first (-1 pads).

    Without ``scores``, the pool order of the frame (for candidate recall); ``k`` defaults to
    the largest pool. Users without rows get a row of -1. Ties keep the pool order. With
    ``with_scores``, also the matching ``(len(user_ids), k)`` scores (NaN pads): the input of
    chapter 8's re-ranking rules.

    >>> frame = pd.DataFrame({"user_id": [0, 0, 0, 2],
    ...                       "item_id": [5, 6, 7, 8]})
    >>> scores = [0.1, 0.9, 0.5, 0.0]
    >>> ranked_lists(frame, [0, 1, 2], scores=scores, k=2).tolist()
    [[6, 7], [-1, -1], [8, -1]]
    >>> items, top_scores = ranked_lists(frame, [0], scores=scores, k=2,
    ...                                  with_scores=True)
    >>> top_scores.tolist()
    [[0.9, 0.5]]
    """
    users = np.asarray(user_ids, dtype=np.int64)
    order = np.zeros(len(frame)) if scores is None else -np.asarray(scores, dtype=np.float64)
    if len(order) != len(frame):
        raise ValueError(f"ranked_lists: {len(order)} scores for {len(frame)} rows")
    ranked = frame[["user_id", "item_id"]].assign(_order=order).sort_values(["user_id", "_order"], kind="stable")
    position = ranked.groupby("user_id").cumcount().to_numpy()
    k = int(position.max()) + 1 if k is None and len(ranked) else (k or 0)
    row = pd.Series(np.arange(len(users)), index=users).reindex(ranked["user_id"]).to_numpy()
    keep = (position < k) & ~np.isnan(row)
    out = np.full((len(users), k), -1, dtype=np.int64)
    out[row[keep].astype(np.int64), position[keep]] = ranked["item_id"].to_numpy()[keep]
    if not with_scores:
        return out
    out_scores = np.full((len(users), k), np.nan)
    out_scores[row[keep].astype(np.int64), position[keep]] = -ranked["_order"].to_numpy()[keep] + 0.0
    return out, out_scores


# ---------------------------------------------------------------------------------------------
# Feature blocks


class _EventsBefore:
    """Counts, sums and latest times of events per key, strictly before a query time.

    Events are sorted by (key, time); a query (key, t) is a binary search. Times are replaced by
    their rank among the distinct event times, so the sort key ``key · n_times + rank`` is an
    exact integer.
    """

    def __init__(self, keys: np.ndarray, times: np.ndarray, values: np.ndarray | None = None):
        self.distinct_times = np.unique(times)
        ranks = np.searchsorted(self.distinct_times, times)
        self.stride = len(self.distinct_times) + 1
        order = np.lexsort((ranks, keys))
        self.sorted_key = keys[order].astype(np.int64) * self.stride + ranks[order]
        self.sorted_time = times[order]
        self.cumulative = np.concatenate([[0.0], np.cumsum(values[order])]) if values is not None else None

    def _bounds(self, keys: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        base = keys.astype(np.int64) * self.stride
        start = np.searchsorted(self.sorted_key, base, side="left")
        offset = np.searchsorted(self.distinct_times, times, side="left")
        stop = np.searchsorted(self.sorted_key, base + offset, side="left")
        return start, stop

    def count(self, keys, times) -> np.ndarray:
        start, stop = self._bounds(keys, times)
        return stop - start

    def total(self, keys, times) -> np.ndarray:
        start, stop = self._bounds(keys, times)
        return self.cumulative[stop] - self.cumulative[start]

    def last_time(self, keys, times) -> np.ndarray:
        """Latest event time before each query (NaT where there is none)."""
        start, stop = self._bounds(keys, times)
        found = stop > start
        out = np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[ns]")
        out[found] = self.sorted_time[stop[found] - 1]
        return out

    def first_time(self, keys, times) -> np.ndarray:
        start, stop = self._bounds(keys, times)
        found = stop > start
        out = np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[ns]")
        out[found] = self.sorted_time[start[found]]
        return out


def _activity(history: pd.DataFrame, key: str, ids: np.ndarray, times: np.ndarray, prior_strength: float) -> dict:
    """Chapter 2's activity block (`features.user_features` / `item_features`), per (id, time) query."""
    keys = history[key].to_numpy()
    stamps = history["timestamp"].to_numpy(dtype="datetime64[ns]")
    events = _EventsBefore(keys, stamps)
    everyone = np.zeros(len(ids), dtype=np.int64)  # one key for "all events", for global rates
    n_events = events.count(ids, times)
    out = {
        "n_events": n_events,
        "n_events_7d": n_events - events.count(ids, times - np.timedelta64(7, "D")),
        "n_events_30d": n_events - events.count(ids, times - np.timedelta64(30, "D")),
    }
    first_event = stamps.min() if len(stamps) else None
    silence = np.zeros(len(ids)) if first_event is None else np.maximum(_days(times - first_event), 0.0)
    last = events.last_time(ids, times)
    out["days_since_last_event"] = np.where(n_events > 0, _days(times - last), silence)

    event_type = history["event_type"].astype(str).to_numpy()
    if np.isin(event_type, _FUNNEL).any():
        funnel = {}
        for name in ("view", "click", "purchase"):
            chosen = event_type == name
            counter = _EventsBefore(keys[chosen], stamps[chosen])
            everyone_counter = _EventsBefore(np.zeros(chosen.sum(), np.int64), stamps[chosen])
            funnel[name] = (counter.count(ids, times), everyone_counter.count(everyone, times))
        views, all_views = funnel["view"]
        for feature, name in (("click_through_rate", "click"), ("conversion_rate", "purchase")):
            hits, all_hits = funnel[name]
            global_rate = np.divide(all_hits, all_views, out=np.zeros(len(ids)), where=all_views > 0)
            out[feature] = (hits + prior_strength * global_rate) / (views + prior_strength)

    ratings = history["rating"].to_numpy(dtype=float)
    rated = ~np.isnan(ratings)
    by_key = _EventsBefore(keys[rated], stamps[rated], ratings[rated])
    overall = _EventsBefore(np.zeros(rated.sum(), np.int64), stamps[rated], ratings[rated])
    n_all, sum_all = overall.count(everyone, times), overall.total(everyone, times)
    global_mean = np.divide(sum_all, n_all, out=np.full(len(ids), _RATING_MIDPOINT), where=n_all > 0)
    out["mean_rating"] = (
        (by_key.total(ids, times) + prior_strength * global_mean) / (by_key.count(ids, times) + prior_strength)
    )
    out["_first"] = events.first_time(ids, times)
    return out


def _item_block(history, items, item_ids, times, prior_strength) -> pd.DataFrame:
    activity = _activity(history, "item_id", item_ids, times, prior_strength)
    activity.pop("_first")
    block = pd.DataFrame({f"item__{name}": values for name, values in activity.items()})
    block["item__log_popularity"] = np.log1p(block["item__n_events"])
    if "release_date" in items.columns:
        age = _days(times - pd.to_datetime(items["release_date"]).to_numpy()[item_ids])
        released = ~np.isnan(age) & (age >= 0)
        block["item__is_released"] = released.astype(np.int64)
        block["item__age_days"] = np.where(released, age, 0.0)
    block["item__category"] = pd.Categorical(items["category"].to_numpy()[item_ids],
                                             categories=sorted(items["category"].unique()))
    return block


def _user_block(history, users, user_columns, user_ids, times, prior_strength) -> pd.DataFrame:
    activity = _activity(history, "user_id", user_ids, times, prior_strength)
    first = activity.pop("_first")
    activity.pop("days_since_last_event")  # a context feature: see _context_block
    block = pd.DataFrame({f"user__{name}": values for name, values in activity.items()})
    block["user__tenure_days"] = np.where(block["user__n_events"] > 0, _days(times - first), 0.0)
    for column in user_columns:
        if users is None or column not in users.columns:
            raise ValueError(f"build_ranking_frame: user column '{column}' is not in the users table")
        values = users[column].to_numpy()[user_ids]
        if pd.api.types.is_numeric_dtype(users[column]):
            block[f"user__{column}"] = values.astype(np.float64)
        else:
            block[f"user__{column}"] = pd.Categorical(values, categories=sorted(users[column].astype(str).unique()))
    return block


def _user_item_block(history, items, frame, prior_strength) -> pd.DataFrame:
    """The user's events in the item's category (and genres), and their smoothed share."""
    user_ids, item_ids = frame["user_id"].to_numpy(), frame["item_id"].to_numpy()
    times = frame["request_time"].to_numpy()
    codes, _ = pd.factorize(items["category"], sort=True)
    block = pd.DataFrame(index=frame.index)
    in_category, share = _affinity(history, codes[history["item_id"].to_numpy()], history["user_id"].to_numpy(),
                                   codes[item_ids], user_ids, times, int(codes.max()) + 1, prior_strength)
    block["user_item__category_events"], block["user_item__category_affinity"] = in_category, share
    if "genres" in items.columns:
        # An item with several genres: the mean of the user's smoothed share over its genres.
        genre_lists = items["genres"].map(list)
        names = sorted({g for genres in genre_lists for g in genres})
        code_of = {g: c for c, g in enumerate(names)}
        item_genres = [[code_of[g] for g in genres] for genres in genre_lists]
        h_items, h_users = history["item_id"].to_numpy(), history["user_id"].to_numpy()
        h_stamps = history["timestamp"].to_numpy(dtype="datetime64[ns]")
        lengths = np.array([len(item_genres[i]) for i in h_items], dtype=np.int64)
        h_genres = np.concatenate([item_genres[i] for i in h_items]) if len(h_items) else np.zeros(0, np.int64)
        expanded = pd.DataFrame({"user_id": np.repeat(h_users, lengths), "timestamp": np.repeat(h_stamps, lengths)})
        q_lengths = np.array([len(item_genres[i]) for i in item_ids], dtype=np.int64)
        q_genres = np.concatenate([item_genres[i] for i in item_ids]) if len(item_ids) else np.zeros(0, np.int64)
        q_rows = np.repeat(np.arange(len(frame)), q_lengths)
        _, genre_share = _affinity(expanded, h_genres, expanded["user_id"].to_numpy(), q_genres,
                                   user_ids[q_rows], times[q_rows], len(names), prior_strength)
        mean_share = np.bincount(q_rows, weights=genre_share, minlength=len(frame)) / np.maximum(q_lengths, 1)
        block["user_item__genre_affinity"] = mean_share
    return block


def _affinity(history, history_groups, history_users, query_groups, query_users, times, n_groups, prior_strength):
    """(events of the user in the group before t, their share smoothed towards the group's global share)."""
    stamps = history["timestamp"].to_numpy(dtype="datetime64[ns]")
    pair = _EventsBefore(history_users.astype(np.int64) * n_groups + history_groups, stamps)
    per_user = _EventsBefore(history_users.astype(np.int64), stamps)
    per_group = _EventsBefore(history_groups.astype(np.int64), stamps)
    everyone = _EventsBefore(np.zeros(len(stamps), np.int64), stamps)
    in_group = pair.count(query_users.astype(np.int64) * n_groups + query_groups, times)
    user_total = per_user.count(query_users, times)
    all_events = everyone.count(np.zeros(len(times), np.int64), times)
    global_share = np.divide(per_group.count(query_groups, times), all_events,
                             out=np.full(len(times), 1.0 / n_groups), where=all_events > 0)
    return in_group.astype(np.int64), (in_group + prior_strength * global_share) / (user_total + prior_strength)


def _context_block(history, user_ids, times) -> pd.DataFrame:
    stamps = pd.DatetimeIndex(times)
    events = _EventsBefore(history["user_id"].to_numpy(), history["timestamp"].to_numpy(dtype="datetime64[ns]"))
    last = events.last_time(user_ids, times)
    first_event = history["timestamp"].min() if len(history) else stamps.min()
    silence = np.maximum(_days(times - np.datetime64(first_event)), 0.0)
    return pd.DataFrame(
        {
            "context__hour": stamps.hour.to_numpy(dtype=np.int64),
            "context__day_of_week": stamps.day_of_week.to_numpy(dtype=np.int64),
            "context__days_since_user_last_event": np.where(np.isnat(last), silence, _days(times - last)),
        }
    )


def _labels(future: pd.DataFrame, frame: pd.DataFrame, after_request: bool) -> np.ndarray:
    """Strongest grade of the user's events on the item (at or after the request time); 0 if none."""
    grade = future["event_type"].astype(str).map(GRADES).fillna(1).astype(np.int64)
    events = pd.DataFrame({"user_id": future["user_id"].to_numpy(), "item_id": future["item_id"].to_numpy(),
                           "timestamp": future["timestamp"].to_numpy(), "grade": grade.to_numpy()})
    request = frame.groupby("user_id")["request_time"].first()
    if after_request:
        events = events[events["timestamp"].to_numpy() >= request.reindex(events["user_id"]).to_numpy()]
    best = events.groupby(["user_id", "item_id"])["grade"].max()
    index = pd.MultiIndex.from_arrays([frame["user_id"].to_numpy(), frame["item_id"].to_numpy()])
    return best.reindex(index, fill_value=0).to_numpy(dtype=np.int64)


# ---------------------------------------------------------------------------------------------


def _retrieval_block(retrievers, sources, users, n_items, n_candidates, per_source):
    """Pool rows of one chunk of requests: (request row within the chunk, retrieval features)."""
    scored = {}
    for name, model in retrievers.items():
        scores = _unseen_scores(model, users, n_items)
        scored[name] = scores, top_k(scores, min(RANK_CAP, n_items), source=name)[0]
    pool, source = merge_candidates({name: scored[name][1][:, :per_source] for name in sources}, n_candidates)
    rows, slot = np.nonzero(pool >= 0)  # row-major: grouped by request, in pool order
    item_ids = pool[rows, slot]
    block = {"item_id": item_ids, "retrieval__source": source[rows, slot]}
    in_lists = np.zeros(len(rows), dtype=np.int64)
    for name, (scores, top) in scored.items():
        block[f"retrieval__{name}_score"] = scores[rows, item_ids]
        rank = _ranks_in_top(top, rows, item_ids)
        block[f"retrieval__{name}_rank"] = rank
        in_lists += (rank < per_source).astype(np.int64)
    block["retrieval__n_sources"] = in_lists
    return rows, pd.DataFrame(block)


def _unseen_scores(model, users: np.ndarray, n_items: int) -> np.ndarray:
    """The model's scores of every item for ``users``, ``-inf`` for items each user has seen.

    Items past the model's training data (added to the catalogue later) score just below the
    row's worst finite score.
    """
    scores = model.score_items(users).astype(np.float64)
    model._mask_seen(scores, users)
    if scores.shape[1] < n_items:
        worst = np.where(np.isfinite(scores), scores, np.inf).min(axis=1, keepdims=True)
        scores = np.hstack([scores, np.repeat(worst - 1.0, n_items - scores.shape[1], axis=1)])
    return scores


def _ranks_in_top(top: np.ndarray, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """0-based rank of each (row, item) query in that row's ordered top list (`models.base.top_k`).

    Items outside the list rank ``top.shape[1]``: far down a list, the exact position says
    nothing a ranker could use, and sorting whole rows of a large catalogue would cost more than
    every other feature together. ``-1`` entries (seen items) are skipped.
    """
    n_rows, cap = top.shape
    stride = int(max(top.max(initial=0), items.max(initial=0))) + 1
    listed_rows, positions = np.nonzero(top >= 0)
    keys = listed_rows.astype(np.int64) * stride + top[listed_rows, positions]
    order = np.argsort(keys, kind="stable")
    keys, positions = keys[order], positions[order]
    queries = rows.astype(np.int64) * stride + items
    at = np.minimum(np.searchsorted(keys, queries), max(len(keys) - 1, 0))
    found = (keys[at] == queries) if len(keys) else np.zeros(len(queries), dtype=bool)
    return np.where(found, positions[at] if len(keys) else 0, cap).astype(np.int64)


def _days(delta) -> np.ndarray:
    return np.asarray(delta, dtype="timedelta64[ns]").astype(np.float64) / 1e9 / _DAY_SECONDS


def _check_inputs(history, requests, retrievers, items, n_candidates, per_source, sources) -> None:
    caller = "build_ranking_frame"
    for column in ("user_id", "item_id", "timestamp", "event_type", "rating"):
        if column not in history.columns:
            raise ValueError(f"{caller}: history is missing column '{column}'")
    if not isinstance(requests, pd.Series) or not pd.api.types.is_datetime64_any_dtype(requests):
        raise ValueError(f"{caller}: requests must be a Series of request times indexed by user_id")
    if requests.index.has_duplicates:
        raise ValueError(f"{caller}: requests has more than one request time for some user")
    if requests.isna().any():
        raise ValueError(f"{caller}: requests has missing request times")
    if not retrievers:
        raise ValueError(f"{caller}: give at least one fitted retriever")
    unknown = [name for name in (sources or ()) if name not in retrievers]
    if unknown or (sources is not None and not len(sources)):
        raise ValueError(f"{caller}: sources must name retrievers among {sorted(retrievers)}, got {sources!r}")
    if "category" not in items.columns:
        raise ValueError(f"{caller}: items is missing column 'category'")
    for name, value in (("n_candidates", n_candidates), ("per_source", per_source)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{caller}: {name} must be a positive integer, got {value!r}")
    if (per_source or n_candidates) > RANK_CAP:
        raise ValueError(f"{caller}: a source proposes at most {RANK_CAP} items; set per_source <= {RANK_CAP}")
