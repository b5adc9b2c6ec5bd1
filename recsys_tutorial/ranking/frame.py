"""The ranking frame: one row per (request, candidate item), with point-in-time features and a label.

A second-stage ranker learns from rows like these. For each request (a user at a request time,
named by its ``request_id``; a user may make several, at different times), the candidate pool
is the merged top lists of several fitted retrieval models (chapter 5's
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
is computed from the events of ``history`` strictly before that row's request time by chapter
2's engine (`recsys_tutorial.features.AsOfFeatures`, the one definition of each feature), so
adding or changing an event at or after the request time changes none of them. The retrieval
models are fitted by the caller: their scores are point in time when every event they were
fitted on precedes the request times (a global time split). Under a per-user split a retriever
has seen other users' later events, exactly as it has when it is evaluated alone; the
comparison with it stays fair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import align_by_id
from ..features import AsOfFeatures
from ..models.base import top_k
from ..retrieval import merge_candidates

__all__ = [
    "build_ranking_frame", "default_request_times", "request_table", "feature_columns", "feature_groups",
    "ranked_lists", "GRADES", "RANK_CAP", "item_block", "user_block", "user_item_block", "context_block",
]

#: Label grade of each event type; any other event type (e.g. a rating) grades 1.
GRADES = {"view": 1, "click": 2, "add_to_cart": 3, "purchase": 4}
#: Retrieval ranks are exact up to here and recorded as this value beyond it; also the most
#: items a source may propose.
RANK_CAP = 300
#: Dense retrieval scores held at once while a frame is built, over all retrievers together (8
#: bytes each): about 270 MB, plus one top list per retriever and the chunk's rows.
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


def request_table(requests) -> pd.DataFrame:
    """Requests as a table: ``request_id``, ``user_id``, ``request_time``, one row per request.

    ``requests`` is either a Series of request times indexed by ``user_id`` (what
    `default_request_times` returns) or a DataFrame with ``user_id`` and ``request_time`` and,
    optionally, ``request_id``. A user may appear several times, at different times. Without
    given ids, a request is named ``"<user_id>@<request time>"``: unique across frames built at
    different cutoffs, so that frames concatenated for more training queries keep their requests
    apart.

    >>> times = pd.to_datetime(["2024-05-01 10:00", "2024-06-01 09:30"])
    >>> user_7 = pd.Series(times, index=pd.Index([7, 7], name="user_id"))
    >>> request_table(user_7)["request_id"].tolist()
    ['7@2024-05-01 10:00:00', '7@2024-06-01 09:30:00']
    """
    caller = "build_ranking_frame"
    if isinstance(requests, pd.Series):
        table = pd.DataFrame({"user_id": requests.index.to_numpy(), "request_time": requests.to_numpy()})
    elif isinstance(requests, pd.DataFrame):
        missing = [c for c in ("user_id", "request_time") if c not in requests.columns]
        if missing:
            raise ValueError(f"{caller}: the requests table is missing column(s) {missing}")
        table = requests[[c for c in ("request_id", "user_id", "request_time") if c in requests.columns]]
        table = table.reset_index(drop=True)
    else:
        raise ValueError(f"{caller}: requests must be a Series of request times indexed by user_id, or a table "
                         f"with user_id and request_time, got {type(requests).__name__}")  # fmt: skip
    times = table["request_time"]
    if not pd.api.types.is_datetime64_any_dtype(times) or getattr(times.dtype, "tz", None) is not None:
        raise ValueError(f"{caller}: request times must be timezone-naive datetimes, got dtype {times.dtype}")
    if times.isna().any():
        raise ValueError(f"{caller}: requests has missing request times")
    users = table["user_id"]
    if not pd.api.types.is_integer_dtype(users) or (len(users) and users.min() < 0):
        raise ValueError(f"{caller}: requests' user ids must be non-negative integers, got dtype {users.dtype}")
    if "request_id" not in table.columns:
        table.insert(0, "request_id", users.astype(str) + "@" + times.astype(str))
    repeated = table["request_id"][table["request_id"].duplicated()]
    if len(repeated):
        raise ValueError(f"{caller}: request ids must be unique; repeated: {repeated.unique()[:5].tolist()} "
                         "(the same user at the same moment twice?)")  # fmt: skip
    return table[["request_id", "user_id", "request_time"]].astype({"user_id": np.int64})


def build_ranking_frame(
    history,
    requests,
    retrievers: dict,
    items: pd.DataFrame | None,
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
    history : DataFrame or AsOfFeatures
        Interactions known to the system (``user_id``, ``item_id``, ``timestamp``,
        ``event_type``, ``rating``); features use only its events before each request time. An
        `AsOfFeatures` engine already built over them (with the items table) is used as it is:
        a caller that builds many frames from one log indexes it once.
    requests : Series or DataFrame
        Request time per user, a Series indexed by ``user_id``; or a table of requests with
        ``user_id``, ``request_time`` and optional ``request_id`` (see `request_table`).
    retrievers : dict
        Name → fitted retrieval model (the recommender protocol). Each proposes its top
        ``per_source`` unseen items, merged round robin into a pool of ``n_candidates``.
    items : DataFrame
        The items table, joined by ``item_id``: ``category``, optional ``release_date`` and
        ``genres``; fixes the number of items. May be ``None`` when ``history`` is an engine
        built with it.
    users : DataFrame, optional
        The users table, joined by ``user_id``, for the ``user_columns`` copied as
        ``user__<column>``.
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
        Count only the ``future`` events at or after each request's time, for a ``future`` that
        also holds earlier events. Off by default: a request placed one second after a user's
        last event would drop later events logged in that same second (MovieLens records
        ratings to the second, and many share one).
    prior_strength : float
        Pseudo-events of the smoothed rates and affinities (chapter 2).

    Returns
    -------
    DataFrame
        ``request_id``, ``user_id``, ``item_id``, ``request_time``, the features
        (``<group>__<name>``) and, with ``future``, ``label``. Rows are grouped by request, in
        the order of ``requests``, and candidates in pool order.

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
    caller = "build_ranking_frame"
    engine = _engine(history, items, prior_strength, caller)
    table = request_table(requests)
    _check_inputs(retrievers, n_candidates, per_source, sources)
    n_items = len(engine.items)
    request_users = table["user_id"].to_numpy()
    request_times = pd.DatetimeIndex(table["request_time"])
    per_source = n_candidates if per_source is None else per_source

    # 1) Every retriever scores every item for each request (seen items -inf) and ranks its top
    #    RANK_CAP; the sources' first per_source items, merged round robin, are the pool.
    # 2) Retrieval: each model's score and rank among the user's unseen items.
    #    Requests go in chunks, so that a large catalogue's dense scores fit in memory.
    sources = list(retrievers) if sources is None else list(sources)
    chunk = max(1, _SCORES_PER_CHUNK // max(n_items * len(retrievers), 1))
    starts = range(0, len(request_users), chunk)
    parts = [_retrieval_block(retrievers, sources, request_users[start : start + chunk], n_items, n_candidates,
                              per_source) for start in starts]  # fmt: skip
    row_request = np.concatenate([rows + start for (rows, _), start in zip(parts, starts, strict=True)])
    retrieval = pd.concat([block for _, block in parts], ignore_index=True)
    frame = pd.DataFrame({"request_id": table["request_id"].to_numpy()[row_request],
                          "user_id": request_users[row_request], "item_id": retrieval.pop("item_id").to_numpy(),
                          "request_time": request_times[row_request]})  # fmt: skip
    frame = pd.concat([frame, retrieval], axis=1)
    frame["retrieval__source"] = pd.Categorical(frame["retrieval__source"], categories=sources)

    # 3) Point-in-time features of the item, the user, the pair and the moment.
    times = frame["request_time"].to_numpy(dtype="datetime64[ns]")
    user_ids, item_ids = frame["user_id"].to_numpy(), frame["item_id"].to_numpy()
    user_activity = engine.user_activity(user_ids, times)
    frame = pd.concat(
        [
            frame,
            item_block(engine, item_ids, times),
            user_block(engine, user_activity, users, user_columns, user_ids),
            user_item_block(engine, user_ids, item_ids, times),
            context_block(user_activity, times),
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
    the largest pool. Users without rows get a row of -1; a user asked for twice gets the same
    row twice. Ties keep the pool order. With ``with_scores``, also the matching
    ``(len(user_ids), k)`` scores (NaN pads): the input of chapter 8's re-ranking rules. The
    frame must hold one request per user (select one request per user first).

    >>> frame = pd.DataFrame({"user_id": [0, 0, 0, 2],
    ...                       "item_id": [5, 6, 7, 8]})
    >>> scores = [0.1, 0.9, 0.5, 0.0]
    >>> ranked_lists(frame, [0, 1, 2, 0], scores=scores, k=2).tolist()
    [[6, 7], [-1, -1], [8, -1], [6, 7]]
    >>> items, top_scores = ranked_lists(frame, [0], scores=scores, k=2,
    ...                                  with_scores=True)
    >>> top_scores.tolist()
    [[0.9, 0.5]]
    """
    users = np.asarray(user_ids, dtype=np.int64)
    order = np.zeros(len(frame)) if scores is None else -np.asarray(scores, dtype=np.float64)
    if len(order) != len(frame):
        raise ValueError(f"ranked_lists: {len(order)} scores for {len(frame)} rows")
    if "request_id" in frame.columns:
        requests_per_user = frame.groupby("user_id")["request_id"].nunique()
        several = requests_per_user.index[requests_per_user.to_numpy() > 1]
        if len(several):
            raise ValueError(f"ranked_lists: the frame holds several requests of user(s) {several[:5].tolist()}; "
                             "keep one request per user (e.g. frame[frame['request_id'].isin(chosen)])")  # fmt: skip
    ranked = frame[["user_id", "item_id"]].assign(_order=order).sort_values(["user_id", "_order"], kind="stable")
    position = ranked.groupby("user_id").cumcount().to_numpy()
    k = int(position.max()) + 1 if k is None and len(ranked) else (k or 0)
    distinct, inverse = np.unique(users, return_inverse=True)
    row = pd.Series(np.arange(len(distinct)), index=distinct).reindex(ranked["user_id"]).to_numpy()
    keep = (position < k) & ~np.isnan(row)
    rows, columns = row[keep].astype(np.int64), position[keep]
    out = np.full((len(distinct), k), -1, dtype=np.int64)
    out[rows, columns] = ranked["item_id"].to_numpy()[keep]
    if not with_scores:
        return out[inverse]
    out_scores = np.full((len(distinct), k), np.nan)
    out_scores[rows, columns] = -ranked["_order"].to_numpy()[keep] + 0.0
    return out[inverse], out_scores[inverse]


# ---------------------------------------------------------------------------------------------
# Feature blocks: chapter 2's engine, asked per (request, candidate)

#: The activity columns the frame keeps, in its order (funnel rates only where the log has a funnel).
_ITEM_ACTIVITY = ("n_events", "n_events_7d", "n_events_30d", "days_since_last_event")
_USER_ACTIVITY = ("n_events", "n_events_7d", "n_events_30d")
_RATES = ("click_through_rate", "conversion_rate")


def _engine(history, items, prior_strength: float, caller: str) -> AsOfFeatures:
    """The feature engine over ``history``: the one given, or one built here."""
    if isinstance(history, AsOfFeatures):
        if history.items is None:
            raise ValueError(f"{caller}: the AsOfFeatures engine given as history was built without items=")
        if items is not None and len(items) != len(history.items):
            raise ValueError(f"{caller}: items has {len(items)} rows but the engine's items table has "
                             f"{len(history.items)}; pass items=None to use the engine's")  # fmt: skip
        if history.prior_strength != prior_strength:
            raise ValueError(f"{caller}: prior_strength={prior_strength} differs from the engine's "
                             f"({history.prior_strength})")  # fmt: skip
        engine = history
    else:
        if items is None:
            raise ValueError(f"{caller}: pass the items table (with a 'category' column)")
        engine = AsOfFeatures(history, items=items, prior_strength=prior_strength, caller=caller)
    if "category" not in engine.items.columns:
        raise ValueError(f"{caller}: items is missing column 'category'")
    return engine


def item_block(engine: AsOfFeatures, item_ids, times) -> pd.DataFrame:
    """The frame's ``item__*`` columns of items at their request times (the serving snapshot's item table)."""
    activity = engine.item_activity(item_ids, times)
    released = [c for c in ("is_released", "age_days") if c in activity.columns]
    rates = list(_RATES) if engine.has_funnel else []
    columns = [*_ITEM_ACTIVITY, *rates, "mean_rating", "log_popularity", *released]
    block = activity[columns].add_prefix("item__")
    block["item__category"] = pd.Categorical(engine.items["category"].to_numpy()[item_ids],
                                             categories=engine.categories)  # fmt: skip
    return block


def user_block(engine: AsOfFeatures, activity, users, user_columns, user_ids) -> pd.DataFrame:
    """The frame's ``user__*`` columns, from the users' ``activity`` (`AsOfFeatures.user_activity`) and the
    ``user_columns`` of the ``users`` table (joined by ``user_id``)."""
    rates = list(_RATES) if engine.has_funnel else []
    block = activity[[*_USER_ACTIVITY, *rates, "mean_rating", "tenure_days"]].add_prefix("user__")
    if len(user_columns):
        if users is None:
            raise ValueError(f"build_ranking_frame: user column {list(user_columns)[0]!r} needs the users table "
                             "(users=...)")
        largest = int(user_ids.max()) + 1 if len(user_ids) else 0
        users = align_by_id(users, "user_id", "build_ranking_frame (users)", n_required=largest)
    for column in user_columns:
        if column not in users.columns:
            raise ValueError(f"build_ranking_frame: user column '{column}' is not in the users table")
        values = users[column].to_numpy()[user_ids]
        if pd.api.types.is_numeric_dtype(users[column]):
            block[f"user__{column}"] = values.astype(np.float64)
        else:
            block[f"user__{column}"] = pd.Categorical(values, categories=sorted(users[column].astype(str).unique()))
    return block


def user_item_block(engine: AsOfFeatures, user_ids, item_ids, times) -> pd.DataFrame:
    """The user's events in the item's category (and genres), and their smoothed share."""
    in_category, share = engine.category_affinity(user_ids, item_ids, times)
    block = pd.DataFrame({"user_item__category_events": in_category, "user_item__category_affinity": share})
    if "genres" in engine.items.columns:
        # An item with several genres: the mean of the user's smoothed share over its genres.
        block["user_item__genre_affinity"] = engine.genre_affinity(user_ids, item_ids, times)
    return block


def context_block(user_activity: pd.DataFrame, times) -> pd.DataFrame:
    """The frame's ``context__*`` columns: the request's hour and weekday, days since the user's last event."""
    stamps = pd.DatetimeIndex(times)
    return pd.DataFrame(
        {
            "context__hour": stamps.hour.to_numpy(dtype=np.int64),
            "context__day_of_week": stamps.day_of_week.to_numpy(dtype=np.int64),
            "context__days_since_user_last_event": user_activity["days_since_last_event"].to_numpy(),
        }
    )


def _labels(future: pd.DataFrame, frame: pd.DataFrame, after_request: bool) -> np.ndarray:
    """Strongest grade of the user's events on the item (at or after the row's request time); 0 if none."""
    grade = future["event_type"].astype(str).map(GRADES).fillna(1).astype(np.int64)
    events = pd.DataFrame({"user_id": future["user_id"].to_numpy(), "item_id": future["item_id"].to_numpy(),
                           "timestamp": future["timestamp"].to_numpy(), "grade": grade.to_numpy()})  # fmt: skip
    if not after_request:
        best = events.groupby(["user_id", "item_id"])["grade"].max()
        index = pd.MultiIndex.from_arrays([frame["user_id"].to_numpy(), frame["item_id"].to_numpy()])
        return best.reindex(index, fill_value=0).to_numpy(dtype=np.int64)
    # Each row against its own request's time: a user's requests at two moments get their own labels.
    rows = pd.DataFrame({"row": np.arange(len(frame)), "user_id": frame["user_id"].to_numpy(),
                         "item_id": frame["item_id"].to_numpy(), "request_time": frame["request_time"].to_numpy()})
    matched = rows.merge(events, on=["user_id", "item_id"])
    matched = matched[matched["timestamp"] >= matched["request_time"]]
    best = matched.groupby("row")["grade"].max()
    return best.reindex(np.arange(len(frame)), fill_value=0).to_numpy(dtype=np.int64)


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
    scores = model.score_items(users, exclude_seen=True)
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


#: Characters LightGBM refuses in a feature name.
_JSON_SPECIAL = '",:[]{}'


def _check_inputs(retrievers, n_candidates, per_source, sources) -> None:
    caller = "build_ranking_frame"
    if not retrievers:
        raise ValueError(f"{caller}: give at least one fitted retriever")
    # Retriever names become feature names, which LightGBM's model file (JSON) cannot hold.
    unusable = [name for name in retrievers if not isinstance(name, str) or set(name) & set(_JSON_SPECIAL)]
    if unusable:
        raise ValueError(f"{caller}: retriever names become feature names and may not contain any of "
                         f"{' '.join(_JSON_SPECIAL)}; rename {unusable}")
    unknown = [name for name in (sources or ()) if name not in retrievers]
    if unknown or (sources is not None and not len(sources)):
        raise ValueError(f"{caller}: sources must name retrievers among {sorted(retrievers)}, got {sources!r}")
    for name, value in (("n_candidates", n_candidates), ("per_source", per_source)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{caller}: {name} must be a positive integer, got {value!r}")
    if (per_source or n_candidates) > RANK_CAP:
        raise ValueError(f"{caller}: a source proposes at most {RANK_CAP} items; set per_source <= {RANK_CAP}")
