"""The Open Bandit Dataset: real logged bandit feedback with its propensities.

ZOZOTOWN, a Japanese fashion e-commerce site, showed three recommended items (positions 1–3, left
to right) to users of its site for a week in November 2019, chosen by one of two logging
policies: **uniform random** (``random``: each of the campaign's items equally likely at each
position) and **Bernoulli Thompson sampling** (``bts``). Each row is one impression: the item,
its position, whether it was clicked, and the logging policy's propensity of showing that item
there. Three campaigns: ``all`` (80 items), ``men`` (34) and ``women`` (46). (Saito, Aihara,
Matsutani and Narita, "Open Bandit Dataset and Pipeline", NeurIPS Datasets and Benchmarks 2021;
licence CC BY 4.0.)

The full dataset has millions of rows per policy; its small sample, 10,000 rows per policy and
campaign, ships inside the ``obp`` wheel on PyPI. `load_open_bandit` takes that sample with
``pip download`` and `zipfile` (nothing is installed; the wheel declares Python 3.7–3.10, which
``--python-version 3.10`` lets pip fetch on any Python), checks each file against a pinned
SHA-256 digest, keeps a copy in the cache folder and validates the tables.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .movielens_fetch import default_cache_dir
from .pypi import pip_download, read_checked, store_folder

__all__ = ["OpenBanditLog", "load_open_bandit", "OBP_REQUIREMENT", "POLICIES", "CAMPAIGNS"]

log = logging.getLogger(__name__)

#: The pinned pip requirement of the ``obp`` wheel that holds the dataset's small sample.
OBP_REQUIREMENT = "obp==0.4.1"
#: The logging policies: uniform random and Bernoulli Thompson sampling.
POLICIES = ("random", "bts")
#: The campaigns and their number of items.
CAMPAIGNS = {"all": 80, "men": 34, "women": 46}
_PREFIX = "obp/dataset/obd/"
_FOLDER = "open_bandit_dataset"
_SHA256 = {
    "random/all/all.csv": "7168295b6e0a9eabcf3392320a5dd434e542b68e705d5cd9491499af589812f1",
    "random/all/item_context.csv": "eba04cc23d5f130a93ff174c5392986882b94c3839433cb8143870eaa6221358",
    "random/men/men.csv": "ede6d08c6877f99cd3770f7d09e26c738e6aa6de4445ccccfb1356ba5d06b1eb",
    "random/men/item_context.csv": "6d855c2b7e917d0448d71bbe62c023147495882c0fdc8c41e86fef86abf9fe09",
    "random/women/women.csv": "e65f3bd3beb17664fa69cc129bf7bf852a775f8ffa630506e505fc905315bb34",
    "random/women/item_context.csv": "b1ca4905f97703d196004f2ad4552c1e90c2afad8b50688d333b0d2dc0b33147",
    "bts/all/all.csv": "0ad874e4dbf6902f0845dd478ad8dde5ef6903583d3ffaace78411bdad064106",
    "bts/all/item_context.csv": "5d4359ba1cfa3ae88f0f1bae66bd633859fe6323817183632ee57b83539d9153",
    "bts/men/men.csv": "db6d1f7ed2d591ba521533e45286d4c1fba7fe57a8ad2e80342210335f43c527",
    "bts/men/item_context.csv": "3b411ed6b0471316321a6b93f4f756bb25888eac6218cd71d0b603d41d85732d",
    "bts/women/women.csv": "e5d1b49a39b608585a2f3014a3f54970430cd37a495c1b73fceb85cdf428a5b8",
    "bts/women/item_context.csv": "a56295bad066a558eb783055afd9279f5f4e209a4776eafc22151c53f0ac89d4",
}
_ROWS = 10_000


@dataclass(frozen=True)
class OpenBanditLog:
    """One logging policy's impressions in one campaign of the Open Bandit Dataset.

    Attributes
    ----------
    log : DataFrame
        One row per impression, in time order: ``timestamp`` (UTC), ``item_id`` (0 .. n_items − 1),
        ``position`` (1–3), ``click`` (0/1), ``propensity`` (the logging policy's probability of
        that item at that position), ``user_feature_0`` … ``user_feature_3`` (hashed categories)
        and ``user_item_affinity_0`` … (the user's past clicks on each item).
    items : DataFrame
        ``item_id`` and its features (``item_feature_0`` a number, the others hashed categories).
    policy, campaign : str
    """

    log: pd.DataFrame
    items: pd.DataFrame
    policy: str
    campaign: str

    @property
    def n_items(self) -> int:
        return len(self.items)


def load_open_bandit(policy: str = "random", campaign: str = "all", cache_dir=None) -> OpenBanditLog:
    """The small sample of the Open Bandit Dataset for one logging policy and campaign.

    Parameters
    ----------
    policy : {"random", "bts"}
        The logging policy: uniform random or Bernoulli Thompson sampling.
    campaign : {"all", "men", "women"}
    cache_dir : str or path-like, optional
        Where ``open_bandit_dataset/`` is looked for and kept. Default: the folder MovieLens-100K
        uses (`recsys_tutorial.data.movielens_fetch.default_cache_dir`).

    Raises
    ------
    ValueError
        For an unknown policy or campaign, or files that break the schema.
    RuntimeError
        If nothing is cached and the wheel cannot be fetched; the message says how to provide it.

    Examples
    --------
    >>> data = load_open_bandit("random", "all")
    >>> len(data.log), data.n_items, float(data.log["propensity"].iloc[0])
    (10000, 80, 0.0125)
    """
    if policy not in POLICIES:
        raise ValueError(f"load_open_bandit: unknown policy {policy!r}, expected one of {POLICIES}")
    if campaign not in CAMPAIGNS:
        raise ValueError(f"load_open_bandit: unknown campaign {campaign!r}, expected one of {tuple(CAMPAIGNS)}")
    folder = _fetch(Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir())
    log_frame = pd.read_csv(folder / policy / campaign / f"{campaign}.csv", index_col=0)
    items = pd.read_csv(folder / policy / campaign / "item_context.csv", index_col=0)
    return _validated(log_frame, items, policy, campaign)


def _fetch(cache: Path) -> Path:
    """``cache/open_bandit_dataset``, taken out of the obp wheel the first time."""
    target = cache / _FOLDER
    if all((target / name).is_file() for name in _SHA256):
        return target
    if target.exists():  # not ours to complete or replace
        raise RuntimeError(f"{target} exists but lacks some of the dataset's files; move it aside and retry")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            log.info("Open Bandit Dataset: downloading the %s wheel with pip", OBP_REQUIREMENT)
            wheel = pip_download(OBP_REQUIREMENT, Path(tmp), "--python-version", "3.10")
            contents = read_checked(wheel, _PREFIX, _SHA256)
    except Exception as error:
        raise RuntimeError(
            f"The Open Bandit Dataset could not be fetched ({error}). Where PyPI is reachable, run "
            f"`pip download --no-deps {OBP_REQUIREMENT} --python-version 3.10 --only-binary=:all: -d DIR` "
            f"and copy obp/dataset/obd/ out of the wheel (a zip archive) into {target}/."
        ) from error
    return store_folder(target, contents)


def _validated(log_frame: pd.DataFrame, items: pd.DataFrame, policy: str, campaign: str) -> OpenBanditLog:
    where = f"Open Bandit Dataset ({policy}/{campaign})"
    n_items = CAMPAIGNS[campaign]
    log_frame = log_frame.rename(columns=lambda name: name.replace("-", "_")).rename(
        columns={"propensity_score": "propensity"}
    )
    required = ["timestamp", "item_id", "position", "click", "propensity"]
    missing = [column for column in required if column not in log_frame]
    if missing or len(log_frame) != _ROWS:
        raise ValueError(f"{where}: expected {_ROWS:,} rows with columns {required}; missing {missing}")
    log_frame["timestamp"] = pd.to_datetime(log_frame["timestamp"], utc=True)
    checks = {
        "item_id in 0..n_items − 1": log_frame["item_id"].between(0, n_items - 1),
        "position in 1..3": log_frame["position"].isin([1, 2, 3]),
        "click in {0, 1}": log_frame["click"].isin([0, 1]),
        "propensity in (0, 1]": (log_frame["propensity"] > 0) & (log_frame["propensity"] <= 1),
    }
    for rule, holds in checks.items():
        if not holds.all():
            raise ValueError(f"{where}: {int((~holds).sum())} rows break the rule {rule}")
    if not np.array_equal(items["item_id"].to_numpy(), np.arange(n_items)):
        raise ValueError(f"{where}: the item table must hold item ids 0..{n_items - 1} in order")
    log_frame = log_frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return OpenBanditLog(log_frame, items.reset_index(drop=True), policy, campaign)

