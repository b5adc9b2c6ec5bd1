"""Our ALS against the `implicit` library's, on MovieLens-100K, with the same settings.

    .venv/bin/pip install -c constraints.txt -e ".[bench]"     # adds implicit
    .venv/bin/python benchmarks/bench_als.py
    .venv/bin/python benchmarks/bench_als.py --smoke   # 100 users, 2 iterations: does it run?

Settings for both: 64 factors, 15 iterations, regularisation 0.01, alpha 1.0, 3 conjugate-gradient
steps (implicit's default solver), fit on a per-user random 75/25 split (seed 0); NDCG@10 over all
unseen items, seen items excluded. Both run at the default thread settings a reader gets (no
environment variables); ours is also timed with PyTorch limited to one thread, to show that the
second thread helps, and in float32 (implicit's precision; our default is float64, which gives the
same factors on every CPU). Fit time is the median of 5 interleaved runs.

The bars (from the project's issues): at the same precision our fit takes at most twice
implicit's time, two threads are not slower than one, and our NDCG@10 is within 5 % of implicit's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
import torch

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.models import ALS, Recommender

import record

SETTINGS = {"n_factors": 64, "n_epochs": 15, "reg": 0.01, "alpha": 1.0}
SMOKE_SETTINGS = {**SETTINGS, "n_epochs": 2}


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


def one_thread(make_model):
    """``make_model``, fitted with PyTorch limited to one intra-op thread."""

    def fit(train):
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return make_model().fit(train)
        finally:
            torch.set_num_threads(previous)

    return fit


def measure(fitters, train, test, repeats):
    """Median fit seconds of each fitter over ``repeats`` interleaved rounds, and its NDCG@10."""
    seconds = {name: [] for name in fitters}
    models = {}
    for _ in range(repeats):
        for name, fit in fitters.items():
            start = time.perf_counter()
            models[name] = fit(train)
            seconds[name].append(time.perf_counter() - start)
    return {
        name: (statistics.median(seconds[name]), evaluation.evaluate(models[name], train, test)["ndcg@10"])
        for name in fitters
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_arguments(parser)
    args = parser.parse_args()
    try:
        import implicit
    except ImportError:
        print("implicit is not installed: pip install -c constraints.txt -e '.[bench]'")
        return 2
    out = record.results_path("bench_als", args)
    warnings.filterwarnings("ignore", module="implicit")  # its advice to set OPENBLAS_NUM_THREADS=1
    settings, repeats = (SMOKE_SETTINGS, 1) if args.smoke else (SETTINGS, 5)
    ratings = load_movielens_100k().interactions
    if args.smoke:
        ratings = ratings[ratings["user_id"] < 100]
    train, test = split.per_user_random_split(ratings, test_fraction=0.25, random_state=0)
    ours = "recsys_tutorial.models.ALS"
    results = measure(
        {
            f"implicit {implicit.__version__}": lambda data: ImplicitALS(**settings).fit(data),
            ours: lambda data: ALS(**settings).fit(data),
            ours + ", 1 thread": one_thread(lambda: ALS(**settings)),
            ours + ", float32": lambda data: ALS(**settings, dtype="float32").fit(data),
        },
        train,
        test,
        repeats,
    )
    threads = torch.get_num_threads()
    print(f"MovieLens-100K{' (100 users)' if args.smoke else ''}, {settings}, median of {repeats} fits, "
          f"{threads} PyTorch threads by default")  # fmt: skip
    print(f"{'implementation':<38} {'fit seconds':>11} {'NDCG@10':>9}")
    for name, (seconds, ndcg) in results.items():
        print(f"{name:<38} {seconds:11.3f} {ndcg:9.4f}")
    (theirs_time, theirs_ndcg), (ours_time, ours_ndcg), (one_thread_time, _), (float32_time, _) = results.values()
    time_ratio = float32_time / theirs_time
    print(f"time ratio (ours at the default float64 / implicit): {ours_time / theirs_time:.2f}  "
          "(the price of the same factors on every CPU)")
    print(f"time ratio (ours in float32 / ours at the default float64): {float32_time / ours_time:.2f}")
    thread_ratio = ours_time / one_thread_time
    quality_gap = abs(ours_ndcg - theirs_ndcg) / theirs_ndcg
    print(f"time ratio (ours in float32 / implicit, both float32): {time_ratio:.2f}  (bar: <= 2.00)")
    print(f"time ratio (default threads / 1 thread): {thread_ratio:.2f}  (bar: <= 1.00)")
    print(f"NDCG@10 gap: {quality_gap:.1%}  (bar: <= 5%)")
    checks = {
        "fit time, ours in float32 / implicit": record.check(time_ratio, 2.0, at_most=True),
        "fit time, default threads / 1 thread": record.check(thread_ratio, 1.0, at_most=True),
        "NDCG@10 gap to implicit, relative": record.check(quality_gap, 0.05, at_most=True),
    }
    rows = [{"implementation": name, "median fit seconds": seconds, "ndcg@10": ndcg}
            for name, (seconds, ndcg) in results.items()]  # fmt: skip
    parameters = {**settings, "split": "per-user random 75/25, seed 0", "repeats": repeats,
                  "pytorch threads": threads, "users": int(ratings["user_id"].nunique())}  # fmt: skip
    record.write(out, "bench_als", args, parameters=parameters, results=rows, checks=checks)
    return record.exit_status(args, checks)

if __name__ == "__main__":
    sys.exit(main())
