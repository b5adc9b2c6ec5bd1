"""Retrieval models: every one follows the recommender protocol of `recsys_tutorial.models.base`."""

from .base import NotFittedError, Recommender
from .ease import EASE
from .item_knn import ItemKNN
from .oracle import Oracle
from .popularity import Popularity

__all__ = ["Recommender", "NotFittedError", "Popularity", "ItemKNN", "EASE", "Oracle"]
