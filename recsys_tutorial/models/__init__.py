"""Retrieval models: every one follows the recommender protocol of `recsys_tutorial.models.base`."""

from .als import ALS
from .base import NotFittedError, Recommender
from .ease import EASE
from .item2vec import Item2Vec
from .item_knn import ItemKNN
from .lightgcn import LightGCN
from .matrix_factorization import MatrixFactorization
from .oracle import Oracle
from .popularity import Popularity
from .sasrec import SASRec
from .two_tower import TwoTower

__all__ = [
    "Recommender",
    "NotFittedError",
    "Popularity",
    "ItemKNN",
    "EASE",
    "MatrixFactorization",
    "ALS",
    "TwoTower",
    "Item2Vec",
    "LightGCN",
    "SASRec",
    "Oracle",
]
