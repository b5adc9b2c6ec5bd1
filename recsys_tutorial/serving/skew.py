"""Training–serving skew: find it in the served feature vectors, and measure what it costs.

A skewed feature is computed one way for the ranker's training frame and another way online:
two code paths, two configurations of one job, a default that differs. Nothing errors; the
ranker just reads numbers it never learnt from. Two measurements catch it:

1. **where**: the distribution of every feature the ranker scores online (`served_features`:
   all candidates of sampled requests, as a feature log keeps them) against its training frame,
   feature by feature, with chapter 10's population stability index (`feature_psi`). Some drift
   is normal (the world moved since training); a skewed feature stands out;
2. **what it costs**: the same requests served with and without the skew, scored against what
   the users did next, paired user by user (`list_quality`, `skew_experiment`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

__all__ = ["served_features", "feature_psi", "list_quality", "materialize", "with_store", "skew_experiment"]


def served_features(path, user_ids, at=None) -> pd.DataFrame:
    """The feature rows the ranker scores online for ``user_ids`` at ``at``: every candidate of each.

    Users without history (answered with popular items, never ranked) are left out.
    """
    rows, owners = [], []
    for user in np.asarray(user_ids, dtype=np.int64):
        if 0 <= user < path.n_users and len(path.bundle.seen(int(user))):
            candidates, features = path.candidate_features(int(user), at)
            rows.append(features)
            owners.append(np.full(len(candidates), user))
    if not rows:
        raise ValueError("served_features: none of the users has history in the bundle")
    frame = pd.DataFrame(np.vstack(rows), columns=path.features)
    frame.insert(0, "user_id", np.concatenate(owners))
    return frame


def feature_psi(reference: pd.DataFrame, served: pd.DataFrame, columns=None, bins: int = 10) -> pd.Series:
    """PSI of each feature of ``served`` against ``reference`` (e.g. the ranker's training frame), largest first.

    Categorical columns are compared by their codes. ``monitoring.psi``'s rule of thumb: below
    0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a major one.
    """
    from ..monitoring import psi

    columns = [c for c in served.columns if c != "user_id"] if columns is None else list(columns)
    missing = [c for c in columns if c not in reference.columns or c not in served.columns]
    if missing:
        raise ValueError(f"feature_psi: columns {missing} are not in both frames")
    values = {}
    for column in columns:
        base = reference[column]
        if isinstance(base.dtype, pd.CategoricalDtype):
            base = base.cat.codes
        values[column] = psi(base.to_numpy(dtype=np.float64), served[column].to_numpy(dtype=np.float64), bins=bins)
    return pd.Series(values, name="psi").sort_values(ascending=False, kind="stable")


def list_quality(path, train: pd.DataFrame, test: pd.DataFrame, n_items: int, k: int = 10, at=None) -> pd.Series:
    """NDCG@k of the path's lists for every user with history in ``train`` and new items in ``test``.

    Indexed by user: the per-user values a paired comparison needs (`evaluation.paired_test`).
    """
    from ..evaluation import ndcg_at_k, relevance_matrix

    n_users = path.n_users
    test = test[test["user_id"] < n_users]
    relevant = relevance_matrix(test, n_users, n_items, seen_in=train)
    users = np.flatnonzero((np.diff(relevant.indptr) > 0) & (np.diff(path.bundle.seen_indptr) > 0))
    lists = np.full((len(users), k), -1, dtype=np.int64)
    for row, user in enumerate(users):
        items = path.recommend(int(user), k=k, at=at).items
        lists[row, : len(items)] = items
    return pd.Series(ndcg_at_k(lists, relevant[users]), index=pd.Index(users, name="user_id"), name=f"ndcg@{k}")


def materialize(history: pd.DataFrame, items: pd.DataFrame, at, n_users: int, **snapshot_options):
    """An in-memory online store holding `ranking.online.feature_snapshot`'s tables as of ``at``.

    ``snapshot_options`` go to the snapshot (``prior_strength``, ...): a second job configured
    differently from the training frame is one line away, which is how skew happens.
    """
    from ..ranking.online import feature_snapshot
    from .store import SQLiteFeatureStore

    store = SQLiteFeatureStore(":memory:")
    for name, table in feature_snapshot(history, items, at, n_users=n_users, **snapshot_options).items():
        store.write(name, table, at)
    return store


def with_store(bundle, store):
    """The same bundle reading another online store (the bundle itself is left as it is)."""
    return dataclasses.replace(bundle, store=store)


@dataclasses.dataclass
class SkewResult:
    """One world's skew experiment: per-user NDCG and per-feature PSI, consistent against skewed, and
    the features that took one value only in the training frame (which the ranker cannot have used)."""

    ndcg: pd.DataFrame
    psi: pd.DataFrame
    constant_in_training: list


def skew_experiment(world, workdir, test_fraction: float = 0.1, prior_strength: float = 1.0,
                    n_candidates: int = 50, random_state: int = 0) -> SkewResult:  # fmt: skip
    """Serve one world's next-period users twice: features from one definition, and from a skewed job.

    The world's log is split at a global cutoff (the latest ``test_fraction`` of events are what
    users did next). A bundle is built from the earlier part at ``workdir``; it is served as built
    ("one definition") and with an online store whose job smooths the category affinity with
    ``prior_strength`` instead of the training frame's 10 ("skewed job"). Returns the per-user
    NDCG@10 of both, the PSI of every feature of both against the ranker's training frame, and
    the features constant in that frame.
    """
    from ..data import Dataset
    from ..split import temporal_split
    from .build import build_bundle, train_model
    from .bundle import load_bundle
    from .path import RequestPath

    train, test = temporal_split(world.interactions, test_fraction=test_fraction)
    data = Dataset(train, world.users, world.items, name=f"{world.name}, before the cutoff")
    model = train_model(data, n_candidates=n_candidates, random_state=random_state)
    bundle = load_bundle(build_bundle(workdir, data=data, model=model))
    as_of = pd.Timestamp(bundle.manifest["as_of"])
    skewed = materialize(train, world.items, as_of, n_users=bundle.user_vectors.shape[0],
                         prior_strength=prior_strength)  # fmt: skip
    reference = model.training_frame_
    constant = [c for c in model.ranker_.features_ if reference[c].nunique(dropna=False) == 1]
    ndcg, psi = {}, {}
    for name, served in (("one definition", bundle), ("skewed job", with_store(bundle, skewed))):
        path = RequestPath(served, budget_ms=None, clock=as_of)
        ndcg[name] = list_quality(path, train, test, world.n_items)
        psi[name] = feature_psi(reference, served_features(path, ndcg[name].index))
    bundle.store.close()
    skewed.close()
    return SkewResult(pd.DataFrame(ndcg), pd.DataFrame(psi).sort_values("skewed job", ascending=False), constant)
