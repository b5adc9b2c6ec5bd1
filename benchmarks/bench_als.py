"""Our ALS against the `implicit` library's, on MovieLens-100K, with the same settings.

    .venv/bin/pip install -c constraints.txt -e ".[bench]"     # adds implicit
    .venv/bin/python benchmarks/bench_als.py

Settings for both: 64 factors, 15 iterations, regularisation 0.01, alpha 1.0, 3 conjugate-gradient
steps (implicit's default solver), fit on a per-user random 75/25 split (seed 0); NDCG@10 over all
unseen items, seen items excluded. OpenBLAS runs single-threaded for both, as implicit
recommends; implicit's own solver uses every core. Fit time is the median of 5 runs.

The bars (from the project's issues): our fit takes at most twice implicit's time, and our
NDCG@10 is within 5 % of implicit's.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads; implicit warns otherwise

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from recsys_tutorial import evaluation, split  # noqa: E402
from recsys_tutorial.data import load_movielens_100k  # noqa: E402
from recsys_tutorial.models import ALS, Recommender  # noqa: E402

SETTINGS = {"n_factors": 64, "n_epochs": 15, "reg": 0.01, "alpha": 1.0}
REPEATS = 5


class ImplicitALS(Recommender):
    """The `implicit` library's ALS behind this package's recommender protocol."""

    def __init__(self, n_factors, n_epochs, reg, alpha):
        self.n_factors, self.n_epochs, self.reg, self.alpha = n_factors, n_epochs, reg, alpha

    def _fit(self, X, interactions):
        from implicit.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=self.n_factors, iterations=self.n_epochs, regularization=self.reg, alpha=self.alpha,
            random_state=0,
        )  # fmt: skip
        model.fit(sp.csr_matrix(X), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors)
        self.item_factors_ = np.asarray(model.item_factors)

    def _score(self, users):
        return self.user_factors_[users] @ self.item_factors_.T


def measure(make_model, train, test):
    seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        model = make_model().fit(train)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), evaluation.evaluate(model, train, test)["ndcg@10"]


def main() -> int:
    try:
        import implicit
    except ImportError:
        print("implicit is not installed: pip install -c constraints.txt -e '.[bench]'")
        return 2
    movielens = load_movielens_100k()
    train, test = split.per_user_random_split(movielens.interactions, test_fraction=0.25, random_state=0)
    ours_time, ours_ndcg = measure(lambda: ALS(**SETTINGS), train, test)
    theirs_time, theirs_ndcg = measure(lambda: ImplicitALS(**SETTINGS), train, test)
    print(f"MovieLens-100K, {SETTINGS}, median of {REPEATS} fits")
    print(f"{'implementation':<28} {'fit seconds':>11} {'NDCG@10':>9}")
    print(f"{'implicit ' + implicit.__version__:<28} {theirs_time:11.3f} {theirs_ndcg:9.4f}")
    print(f"{'recsys_tutorial.models.ALS':<28} {ours_time:11.3f} {ours_ndcg:9.4f}")
    time_ratio = ours_time / theirs_time
    quality_gap = abs(ours_ndcg - theirs_ndcg) / theirs_ndcg
    print(f"time ratio (ours / implicit): {time_ratio:.2f}  (bar: <= 2.00)")
    print(f"NDCG@10 gap: {quality_gap:.1%}  (bar: <= 5%)")
    return 0 if time_ratio <= 2 and quality_gap <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
