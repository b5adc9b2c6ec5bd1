"""Second-stage ranking: a frame of candidates with point-in-time features, rankers over it, and
the two-stage recommender that retrieves, then ranks."""

from ..models.base import NotFittedError
from .calibration import calibration_report
from .frame import (
    GRADES,
    build_ranking_frame,
    default_request_times,
    feature_columns,
    feature_groups,
    ranked_lists,
    request_table,
)
from .gbdt import GBDTRanker
from .neural import DCN, DeepFM
from .two_stage import TwoStageRecommender, default_ranker, default_retrievers, whole_history_two_stage
from .unbiased import click_queries, examination_by_position, shuffle_intervention, swap_intervention

__all__ = [
    "GRADES",
    "build_ranking_frame",
    "default_request_times",
    "request_table",
    "feature_columns",
    "feature_groups",
    "ranked_lists",
    "GBDTRanker",
    "DCN",
    "DeepFM",
    "calibration_report",
    "TwoStageRecommender",
    "default_ranker",
    "default_retrievers",
    "whole_history_two_stage",
    "shuffle_intervention",
    "swap_intervention",
    "examination_by_position",
    "click_queries",
    "NotFittedError",
]
