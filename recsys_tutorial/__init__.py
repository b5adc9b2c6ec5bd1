"""recsys_tutorial: the companion package of the recsys-tutorial book."""

__version__ = "0.1.0"
