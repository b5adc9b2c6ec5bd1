"""A two-stage recommender: retrieve candidates with several models, then rank them with a learnt ranker.

    fit(interactions):
      1. carve each user's latest ``label_fraction`` of events off as labels (the ranker's future);
      2. fit every retriever on the rest, and build the ranking frame: each user's merged candidate
         pool, with point-in-time features as of just after the user's last remaining event, and
         the labels;
      3. hold out the requests latest in time as validation, and train the ranker on the earlier
         ones (early stopping on validation NDCG);
      4. refit every retriever on all of ``interactions``: at serving time they know everything.
    recommend(users):
      the candidates of the refitted retrievers, features as of just after each user's last
      event, ranked by the ranker. Everything that depends only on the fit (the request times,
      the feature engine's indexes of the history) is computed once, in fit.

Steps 2 and 4 mirror each other: the ranker learns on exactly the kind of frame it will score,
one step earlier in each user's history.
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import pandas as pd
from sklearn.utils.metadata_routing import UNUSED

from ..features import AsOfFeatures
from ..models.als import ALS
from ..models.base import Recommender
from ..models.ease import EASE
from ..models.item_knn import ItemKNN
from ..models.popularity import Popularity
from ..split import per_user_random_split, per_user_temporal_split, temporal_split
from .frame import build_ranking_frame, default_request_times
from .gbdt import GBDTRanker

__all__ = ["TwoStageRecommender"]

log = logging.getLogger(__name__)


class TwoStageRecommender(Recommender):
    """Retrieval by several models, merged, then a second-stage ranker over point-in-time features.

    Parameters
    ----------
    retrievers : dict, optional
        Name → unfitted retrieval model. Default: `default_retrievers`, of which EASE and
        item-kNN over each user's recent history propose the candidates (the configuration of
        chapter 7, chosen on a validation split of MovieLens-100K under the per-user temporal
        protocol). Copies are fitted; the given models are left untouched.
    ranker : optional
        An unfitted ranker with ``fit(frame, validation)`` and ``predict(frame)``; default
        `default_ranker` (gradient-boosted trees, LightGBM).
    n_candidates : int
        Pool size per user: the ceiling of what the ranker can reach is the pool's recall.
    per_source : int, optional
        Items each retriever proposes before the round-robin merge (default ``n_candidates``).
    sources : sequence of str, optional
        The retrievers that propose candidates; the others only score them. Default: all of
        them, or EASE and item-kNN with the default retrievers.
    label_fraction : float
        Share of each user's training events used as the ranker's labels.
    label_split : {"temporal", "global", "random"}
        Which events are the labels. ``"temporal"``: each user's latest ``label_fraction`` (what
        the user did next), each user's request just after their own last earlier event.
        ``"global"``: the events after one cutoff time that leaves ``label_fraction`` of all
        events after it, every user's request *at* that cutoff: requests drawn as a service
        answers them (everyone at one moment, however long since their last event), so the
        time-dependent features have the spread they have when served (chapter 9's skew lab).
        ``"random"``: a random share (for a random holdout). Match the evaluation protocol.
    validation_fraction : float
        Share of the training requests, the latest in time, used for early stopping.
    user_columns : sequence of str, optional
        Columns of the users table used as features (default: none).
    random_state : int
        Seeds the retrievers and the ranker that take one.

    Attributes
    ----------
    retrievers_ : dict
        The retrievers refitted on all training interactions.
    ranker_
        The fitted ranker.
    training_frame_ : DataFrame
        The frame the ranker learnt from (with a ``validation`` flag column), for inspection; a
        pickled model leaves it out (it keeps what `recommend` needs).
    request_times_ : Series
        Each known user's request time: just after their last training event (``"temporal"``,
        ``"random"``), or just after the last training event of all (``"global"``).
    feature_engine_ : AsOfFeatures
        Chapter 2's engine over the training interactions, its indexes built once.

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=4_000,
    ...                        random_state=0)
    >>> model = TwoStageRecommender(n_candidates=30)
    >>> model = model.fit(world.interactions, items=world.items)
    >>> items, scores = model.recommend([0, 1], k=5)
    >>> items.shape
    (2, 5)
    """

    def __init__(
        self,
        retrievers: dict | None = None,
        ranker=None,
        n_candidates: int = 100,
        per_source: int | None = None,
        sources=None,
        label_fraction: float = 0.2,
        label_split: str = "temporal",
        validation_fraction: float = 0.2,
        user_columns=(),
        random_state: int = 0,
    ):
        self.retrievers = retrievers
        self.ranker = ranker
        self.n_candidates = n_candidates
        self.per_source = per_source
        self.sources = sources
        self.label_fraction = label_fraction
        self.label_split = label_split
        self.validation_fraction = validation_fraction
        self.user_columns = user_columns
        self.random_state = random_state

    __metadata_request__fit = {"interactions": UNUSED, "users": UNUSED, "items": UNUSED, "show_progress": UNUSED}

    def fit(self, interactions: pd.DataFrame, users: pd.DataFrame | None = None, items: pd.DataFrame | None = None,
            show_progress: bool = False):  # fmt: skip
        """Fit retrievers and ranker on ``interactions``; ``items`` (with ``category``) is required.

        ``users`` and ``items`` are joined by id. ``show_progress`` is accepted for the protocol:
        the retrievers and the ranker train without bars here.
        """
        if items is None or "category" not in getattr(items, "columns", ()):
            raise ValueError("TwoStageRecommender.fit: pass the items table (with a 'category' column) as items=")
        if not 0 < self.validation_fraction < 1 or not 0 < self.label_fraction < 1:
            raise ValueError(
                "TwoStageRecommender: label_fraction and validation_fraction must lie strictly between 0 and 1"
            )
        if self.label_split not in ("temporal", "global", "random"):
            raise ValueError(
                f"TwoStageRecommender: label_split must be 'temporal', 'global' or 'random', got {self.label_split!r}"
            )
        self.users_, self.items_ = users, items
        return super().fit(interactions, show_progress=show_progress)

    def _matrix_shape(self, interactions: pd.DataFrame):
        return int(interactions["user_id"].max()) + 1, len(self.items_)

    def _fit(self, X, interactions: pd.DataFrame) -> None:
        # 1) Labels: each user's latest events, the future the ranker learns to predict (or a
        #    random share of them, to match a random holdout).
        if self.label_split == "temporal":
            earlier, later = per_user_temporal_split(interactions, test_fraction=self.label_fraction)
        elif self.label_split == "global":
            earlier, later = temporal_split(interactions, test_fraction=self.label_fraction)
        else:
            earlier, later = per_user_random_split(interactions, test_fraction=self.label_fraction,
                                                   random_state=self.random_state)
        # 2) Retrievers fitted on the earlier events; the frame of every user with labels, each
        #    asking just after their own last event, or all at the cutoff.
        inner = self._fit_retrievers(earlier)
        labelled = np.unique(later["user_id"])
        if self.label_split == "global":
            cutoff = later["timestamp"].min()
            requests = pd.Series(cutoff, index=pd.Index(labelled, name="user_id"), name="request_time")
        else:
            requests = default_request_times(earlier, labelled)
        frame = self._frame(earlier, requests, inner, future=later)
        # 3) Validation: the latest requests in time, or (all at one moment) a random share of users.
        if self.label_split == "global":
            rng = np.random.default_rng(self.random_state)
            held_out = rng.permutation(labelled)[: max(1, int(round(self.validation_fraction * len(labelled))))]
            frame["validation"] = frame["user_id"].isin(held_out).to_numpy()
        else:
            frame["validation"] = frame["request_time"] >= requests.quantile(1 - self.validation_fraction)
        ranker = copy.deepcopy(self.ranker) if self.ranker is not None else default_ranker(self.random_state)
        self.ranker_ = ranker.fit(frame[~frame["validation"]], frame[frame["validation"]])
        self.training_frame_ = frame
        # 4) Retrievers refitted on everything, for serving, and what every later request
        #    reads: each user's request time and the feature engine's indexes of the history.
        self.retrievers_ = self._fit_retrievers(interactions)
        if self.label_split == "global":
            end = interactions["timestamp"].max() + pd.Timedelta(seconds=1)
            self.request_times_ = pd.Series(end, index=pd.Index(np.arange(X.shape[0]), name="user_id"),
                                            name="request_time")
        else:
            self.request_times_ = default_request_times(interactions, np.arange(X.shape[0]))
        self.feature_engine_ = AsOfFeatures(interactions, items=self.items_, caller="TwoStageRecommender")
        self.feature_engine_.prepare()

    def __getstate__(self):
        # A saved model keeps what recommend needs; the training frame is for inspection only.
        state = super().__getstate__()
        return {name: value for name, value in state.items() if name != "training_frame_"}

    def _fit_retrievers(self, interactions: pd.DataFrame) -> dict:
        models = self.retrievers if self.retrievers is not None else default_retrievers(self.random_state)
        return {name: copy.deepcopy(model).fit(interactions) for name, model in models.items()}

    def _frame(self, history, requests, retrievers, future=None) -> pd.DataFrame:
        items = None if isinstance(history, AsOfFeatures) else self.items_
        return build_ranking_frame(history, requests, retrievers, items, users=self.users_,
                                   n_candidates=self.n_candidates, per_source=self.per_source, future=future,
                                   user_columns=self.user_columns, sources=self._sources())

    def _sources(self):
        if self.sources is None and self.retrievers is None:
            return DEFAULT_SOURCES
        return self.sources

    def candidate_frame(self, user_ids) -> pd.DataFrame:
        """The ranking frame of known ``user_ids`` as of just after their last training event, with a ``score``
        column."""
        self._check_fitted()
        users = self._check_users(user_ids)
        # Unknown users ask at the end of the training log, as users without events there do.
        times = self.request_times_.reindex(users).fillna(self.request_times_.max())
        frame = self._frame(self.feature_engine_, times.rename_axis("user_id"), self.retrievers_)
        frame["score"] = self.ranker_.predict(frame)
        return frame

    def _score(self, users: np.ndarray) -> np.ndarray:
        """Ranker scores of each user's candidates; ``-inf`` for every item outside the pool."""
        distinct, back = np.unique(users, return_inverse=True)
        frame = self.candidate_frame(distinct)
        scores = np.full((len(distinct), self.n_items_), -np.inf)
        rows = np.searchsorted(distinct, frame["user_id"].to_numpy())
        scores[rows, frame["item_id"].to_numpy()] = frame["score"].to_numpy()
        return scores[back]


#: The default retrievers that propose candidates; the others only score them.
DEFAULT_SOURCES = ("EASE", "ItemKNN")


def default_retrievers(random_state: int = 0) -> dict:
    """The retrievers of chapter 7's configuration, unfitted, each with the settings
    ``benchmarks/tune_embeddings.py --protocol temporal`` chose on MovieLens-100K.

    EASE and item-kNN score a user from a recency-weighted history (the latest item weighs 1, the
    one three items earlier 1/2) and propose the candidates; tuned ALS, popularity and EASE over
    the whole history only score them (``benchmarks/tune_ranking.py`` chose this on validation).
    The order is the order of the ranker's features.
    """
    return {
        "EASE": EASE(reg=1000.0, half_life=3.0),
        "ItemKNN": ItemKNN(n_neighbors=200, shrink=0.0, half_life=3.0),
        "ALS": ALS(n_factors=32, reg=1.0, alpha=0.5, random_state=random_state),
        "Popularity": Popularity(),
        "EASE (whole history)": EASE(),
    }


def default_ranker(random_state: int = 0) -> GBDTRanker:
    """The ranker of chapter 7's configuration, unfitted: LightGBM with the pointwise log loss, leaves of at
    least 200 candidates (``benchmarks/tune_ranking.py`` chose it on validation, ahead of LambdaMART)."""
    return GBDTRanker(objective="binary", min_child_samples=200, random_state=random_state)


def whole_history_two_stage(random_state: int = 0) -> TwoStageRecommender:
    """The two-stage recommender over retrievers that weigh a user's whole history alike, unfitted.

    Chapter 7's configuration before recency entered: plain EASE and item-kNN propose, ALS and
    popularity score, LambdaMART ranks. On MovieLens-100K's per-user temporal split it scores
    0.2210 NDCG@10 against the default's 0.2656 (chapter 7, exercise 2); chapter 8 re-ranks its
    lists, whose genre mix leans on each user's long-run taste.
    """
    retrievers = {"EASE": EASE(), "ItemKNN": ItemKNN(), "ALS": ALS(random_state=random_state),
                  "Popularity": Popularity()}
    return TwoStageRecommender(retrievers=retrievers, sources=list(DEFAULT_SOURCES),
                               ranker=GBDTRanker(random_state=random_state), random_state=random_state)
