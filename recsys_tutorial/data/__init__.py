"""Interaction data: the `Dataset` container, the synthetic world, MovieLens-100K and the Open
Bandit Dataset."""

from .dataset import (
    EVENT_TYPES,
    FUNNEL,
    Dataset,
    align_by_id,
    check_interactions,
    genre_matrix,
    interaction_matrix,
)
from .movielens import load_movielens_100k
from .open_bandit import OpenBanditLog, load_open_bandit
from .synthetic import REFERENCE_DATE, SyntheticTruth, make_synthetic

__all__ = ["Dataset", "EVENT_TYPES", "FUNNEL", "check_interactions", "make_synthetic", "SyntheticTruth",
           "REFERENCE_DATE", "load_movielens_100k", "interaction_matrix", "align_by_id", "genre_matrix",
           "load_open_bandit", "OpenBanditLog"]
