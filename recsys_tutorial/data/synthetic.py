"""A synthetic e-commerce world with planted, learnable structure.

Every interaction is drawn from a generative model whose parameters are kept in
`SyntheticTruth`, so a chapter can compare any model with the oracle that knows them.

The model, for user u and item i of category c(i):

* taste:      θ_u ~ Dirichlet(α·C·(½·uniform + ½·profile of u's age group))  (category tastes)
* match:      s_ui = w_u · v_i / √d,  w_u, v_i ~ N(0, I_d)          (item-level fit)
* affinity:   a_ui = log(C · θ_u,c(i)) + s_ui
* popularity: π_i ∝ rank_i^(−γ)                                      (Zipf, a random rank per item)
* trends:     π_i(t) ∝ π_i · exp(σ · z_i,week(t)),  z an AR(1) over weeks (items rise and fade)
* choice:     P(i | u, t) = P(c | u, t) · P(i | u, c, t)  for c = c(i), where
              P(c | u, t) ∝ θ_u,c · Π_c(t)            (Π_c(t) = Σ_{j in c} π_j(t), the category's mass)
              P(i | u, c, t) ∝ π_i(t) · exp(s_ui)     (within the category)

A *session* picks a user with probability ∝ rank^(−β) (heavy-tailed activity), a start time
(trend × weekly seasonality × hour of day), a category c ~ P(c | u, t), and a geometric number of
engagements a few minutes apart. Each engagement picks an item of c released by then: the best
of ``n_candidates`` items drawn by popularity, judged by match plus Gumbel noise
(sampling-importance-resampling, exact as the number of candidates grows); after the first, the
match is with w_u + λ · v_prev, so a session drifts through similar items. Each engagement is a
view, then a funnel click → add_to_cart → purchase whose step probabilities rise with the
standardised affinity; about ``rating_fraction`` of engagements carry a 1–5 rating (an
ordered-probit of affinity) on their last event.

Drift (optional): from ``drift_date`` on, tastes move towards a permuted copy of themselves
(``taste_shift``) and item popularity towards a permuted ranking (``popularity_shift``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .dataset import EVENT_TYPES, Dataset

__all__ = ["make_synthetic", "SyntheticTruth", "REFERENCE_DATE", "CATEGORY_NAMES"]

log = logging.getLogger(__name__)

#: The end of the default world's window (exclusive). Fixed, so every run sees the same dates.
REFERENCE_DATE = pd.Timestamp("2024-07-01")

#: Category names by category id; a world of more than 20 categories names them ``category_00``, ….
CATEGORY_NAMES = (
    "electronics", "books", "fashion", "home", "beauty", "sports", "toys", "grocery", "garden",
    "automotive", "music", "movies", "games", "health", "pets", "office", "baby", "jewelry",
    "tools", "travel",
)  # fmt: skip
AGE_GROUPS = ("18-24", "25-34", "35-44", "45-54", "55+")
_AGE_SHARES = np.array([0.18, 0.30, 0.24, 0.16, 0.12])
#: Monday..Sunday: weekends busier.
DEFAULT_WEEKLY_PROFILE = (0.92, 0.88, 0.90, 0.95, 1.05, 1.22, 1.18)
#: Hours 0..23: quiet nights, a lunchtime bump and an evening peak.
_HOURLY_PROFILE = np.array(
    [0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.8, 0.9, 1.0, 1.1,
     1.3, 1.2, 1.0, 1.0, 1.1, 1.3, 1.6, 1.9, 2.1, 2.0, 1.5, 0.8]
)  # fmt: skip
_MAX_SESSION_LENGTH = 50  # engagements; bounds the per-position loop, P(longer) < 1e-8 at the default mean
# Ordered-probit cut points on the rating latent (std ≈ 1.0): about 6/8/21/39/26 % of 1..5 stars.
_RATING_CUTS = np.array([-1.7, -1.1, -0.35, 0.65])


@dataclass
class SyntheticTruth:
    """The planted parameters of a synthetic world: what an oracle recommender knows.

    Attributes
    ----------
    category_taste : ndarray, shape (n_users, n_categories)
        θ, each row a distribution over categories.
    user_factors, item_factors : ndarray, shape (n_users, d) and (n_items, d)
        w and v; the item-level match is ``s_ui = w_u · v_i / √d``.
    item_category : ndarray, shape (n_items,)
        Category code of each item (index into ``Dataset.items.category`` categories).
    item_popularity : ndarray, shape (n_items,)
        π, the long-run popularity, summing to 1.
    weekly_trend : ndarray, shape (n_weeks, n_items)
        exp(σ · z): the factor each week of the window multiplies π by.
    window_start : pandas.Timestamp
        Start of the window; week w covers days 7w .. 7w + 6 from it.
    drift_date : pandas.Timestamp or None
        From this date on, ``shifted_category_taste`` and ``shifted_item_popularity`` apply.
    user_activity : ndarray, shape (n_users,)
        The probability that a session is each user's (Zipf weights, summing to 1).
    """

    category_taste: np.ndarray
    user_factors: np.ndarray
    item_factors: np.ndarray
    item_category: np.ndarray
    item_popularity: np.ndarray
    weekly_trend: np.ndarray
    window_start: pd.Timestamp
    drift_date: pd.Timestamp | None = None
    shifted_category_taste: np.ndarray | None = None
    shifted_item_popularity: np.ndarray | None = None
    user_activity: np.ndarray | None = None

    def affinity(self, user_ids, item_ids=None, after_drift: bool = False) -> np.ndarray:
        """True affinity ``a_ui = log(C · θ_u,c(i)) + s_ui``.

        With ``item_ids=None`` returns the ``(len(user_ids), n_items)`` matrix; otherwise
        ``item_ids`` pairs element-wise with ``user_ids``.
        """
        users = np.asarray(user_ids)
        taste = self._taste(after_drift)
        n_categories = taste.shape[1]
        d = self.user_factors.shape[1]
        log_taste = np.log(n_categories * taste[users] + 1e-12)  # (n, C)
        if item_ids is None:
            match = self.user_factors[users] @ self.item_factors.T / np.sqrt(d)  # (n, n_items)
            return log_taste[:, self.item_category] + match
        items = np.asarray(item_ids)
        match = np.einsum("nd,nd->n", self.user_factors[users], self.item_factors[items]) / np.sqrt(d)
        return log_taste[np.arange(len(users)), self.item_category[items]] + match

    def popularity(self, at=None, after_drift: bool = False) -> np.ndarray:
        """Item popularity π (long-run, ``at=None``) or π(t) in the week holding timestamp ``at``."""
        if after_drift and self.shifted_item_popularity is None:
            raise ValueError("popularity: after_drift=True but this world has no drift")
        base = self.shifted_item_popularity if after_drift else self.item_popularity
        if at is None:
            return base
        week = int((pd.Timestamp(at) - self.window_start) // pd.Timedelta(days=7))
        if not 0 <= week < len(self.weekly_trend):
            raise ValueError(f"popularity: {at} lies outside the window that starts {self.window_start}")
        return self._weekly_popularity(week, after_drift)

    def scores(self, user_ids, after_drift: bool = False, at=None) -> np.ndarray:
        """Oracle scores: log P(i | u, t) of the choice model, up to a per-user constant.

        ``log θ_u,c + log Π_c(t) + log π_i(t) + s_ui − log N_u,c(t)`` for c = c(i), with the
        within-category normaliser ``N_u,c(t) = Σ_{j in c} π_j(t) · exp(s_uj)``. With ``at=None``
        the long-run popularity π is used; give a timestamp ``at`` to use that week's. Returns a
        ``(len(user_ids), n_items)`` float32 array.

        This is what an oracle that knows the user's long-run preferences would rank by: a
        ceiling for models that learn them from data. It knows nothing of the session a user is
        in (the previous item), so a sequential model may beat it at predicting the next event.
        """
        users = np.asarray(user_ids)
        popularity = self.popularity(at, after_drift)
        taste = self._taste(after_drift)[users]  # (n, C)
        n_categories = taste.shape[1]
        d = self.user_factors.shape[1]
        match = self.user_factors[users] @ self.item_factors.T / np.sqrt(d)  # (n, n_items)
        # Per-row shifts keep exp() finite; they cancel within a row, so the ranking is unchanged.
        shifted = match - match.max(axis=1, keepdims=True)
        one_hot = sp.csr_matrix(
            (np.ones(len(self.item_category)), (np.arange(len(self.item_category)), self.item_category)),
            shape=(len(self.item_category), n_categories),
        )
        normaliser = (one_hot.T @ (popularity[None, :] * np.exp(shifted)).T).T  # (n, C): N_u,c · e^{-max}
        category_mass = np.bincount(self.item_category, weights=popularity, minlength=n_categories)  # Π_c
        log_category = np.log(taste + 1e-300) + np.log(category_mass) - np.log(normaliser + 1e-300)  # (n, C)
        return (log_category[:, self.item_category] + np.log(popularity)[None, :] + shifted).astype(np.float32)

    def _weekly_popularity(self, week: int, after_drift: bool) -> np.ndarray:
        base = self.shifted_item_popularity if after_drift else self.item_popularity
        popularity = base * self.weekly_trend[week]
        return popularity / popularity.sum()

    def _taste(self, after_drift: bool) -> np.ndarray:
        if not after_drift:
            return self.category_taste
        if self.shifted_category_taste is None:
            raise ValueError("affinity: after_drift=True but this world has no drift")
        return self.shifted_category_taste


def make_synthetic(
    n_users: int = 10_000,
    n_items: int = 5_000,
    n_interactions: int = 100_000,
    *,
    n_categories: int = 20,
    n_factors: int = 16,
    n_days: int = 90,
    reference_date: str | pd.Timestamp = REFERENCE_DATE,
    item_popularity_exponent: float = 0.9,
    popularity_volatility: float = 0.6,
    user_activity_exponent: float = 0.7,
    taste_concentration: float = 0.1,
    category_shares: tuple[float, ...] | None = None,
    new_item_fraction: float = 0.2,
    session_length_mean: float = 3.0,
    session_coherence: float = 1.0,
    funnel_rates: tuple[float, float, float] = (0.42, 0.40, 0.50),
    rating_fraction: float = 0.5,
    weekly_profile: tuple[float, ...] = DEFAULT_WEEKLY_PROFILE,
    trend: float = 0.3,
    drift_date: str | pd.Timestamp | None = None,
    taste_shift: float = 0.0,
    popularity_shift: float = 0.0,
    n_candidates: int = 16,
    random_state: int | None = 0,
) -> Dataset:
    """Generate a synthetic e-commerce `Dataset` with planted structure (see the module docstring).

    Parameters
    ----------
    n_users, n_items, n_interactions : int
        World size; the result has exactly ``n_interactions`` event rows.
    n_categories : int
        Number of item categories (the first 20 have names, e.g. ``"books"``).
    n_factors : int
        Dimension d of the latent match factors.
    n_days : int
        Length of the window, which ends (exclusive) at ``reference_date``.
    item_popularity_exponent, user_activity_exponent : float
        Zipf exponents γ of item popularity and β of user activity (weights ∝ rank^−exponent).
    popularity_volatility : float
        σ, the standard deviation of an item's weekly log-popularity around its long-run level
        (an AR(1) with week-to-week correlation 0.7): items trend up and fade. 0 turns it off.
    taste_concentration : float
        Dirichlet α of category tastes: small values give users a few favourite categories.
    category_shares : tuple of float, optional
        Probability of each category for a new item; must sum to 1. Default: a Dirichlet draw.
    new_item_fraction : float
        Share of items released during the window (the rest predate it).
    session_length_mean : float
        Mean number of engagements in a browsing session (geometric, at least 1). A session stays
        in one category.
    session_coherence : float
        λ, how strongly each engagement of a session leans towards items like the previous one
        (0: independent draws given the user).
    funnel_rates : (float, float, float)
        Base probabilities of click | view, add_to_cart | click and purchase | cart at average
        affinity; each step is more likely when affinity is higher.
    rating_fraction : float
        Share of engagements that leave a 1–5 rating.
    weekly_profile : 7 floats
        Relative traffic Monday..Sunday.
    trend : float
        Relative growth of daily traffic from the first to the last day.
    drift_date : str or Timestamp, optional
        Date from which ``taste_shift`` and ``popularity_shift`` apply.
    taste_shift, popularity_shift : float in [0, 1]
        Size of the drift: 0 none, 1 tastes / popularity fully replaced by a permuted copy.
    n_candidates : int
        Candidates per engagement for the item choice. Affects speed and how sharply users pick
        items they match; larger is closer to the exact choice model.
    random_state : int or None
        Seed of the only random generator used.

    Returns
    -------
    Dataset
        ``interactions`` sorted by time; ``users`` with ``age_group`` and ``signup_date``;
        ``items`` with ``category``, ``price`` and ``release_date``; ``truth`` a `SyntheticTruth`.

    Raises
    ------
    ValueError
        For a bad configuration, naming the field.

    Examples
    --------
    >>> ds = make_synthetic(n_users=200, n_items=100, n_interactions=1_000,
    ...                     random_state=0)
    >>> len(ds.interactions), ds.n_users, ds.n_items
    (1000, 200, 100)
    """
    reference_date = pd.Timestamp(reference_date)
    _check_config(locals())
    start = reference_date - pd.Timedelta(days=int(n_days))
    if drift_date is not None:
        drift_date = pd.Timestamp(drift_date)
    rng = np.random.default_rng(random_state)
    window_seconds = n_days * 86_400

    # 1) Items: category, Zipf popularity, release date, price.
    if category_shares is None:
        category_shares = rng.dirichlet(np.full(n_categories, 3.0))
    category_shares = np.asarray(category_shares, dtype=float)
    item_category = _assign_categories(n_items, category_shares, rng)
    popularity = _zipf_weights(n_items, item_popularity_exponent, rng)
    release_offset, fallback_item = _release_offsets(item_category, popularity, new_item_fraction, window_seconds, rng)
    weekly_trend = _weekly_trend(int(np.ceil(n_days / 7)), n_items, popularity_volatility, rng)
    d = n_factors
    item_factors = rng.standard_normal((n_items, d)).astype(np.float32)

    # 2) Users: age group, tastes (nudged by age group), match factors, Zipf activity.
    age_group = rng.choice(len(AGE_GROUPS), size=n_users, p=_AGE_SHARES)
    age_profiles = rng.dirichlet(np.ones(n_categories), size=len(AGE_GROUPS))  # (A, C)
    prior = taste_concentration * n_categories * (0.5 / n_categories + 0.5 * age_profiles[age_group])
    taste = _dirichlet_rows(prior, rng)  # (n_users, C)
    user_factors = rng.standard_normal((n_users, d)).astype(np.float32)
    activity = _zipf_weights(n_users, user_activity_exponent, rng)

    # 3) Drifted parameters: tastes move to a permuted copy; popularity to a permuted ranking.
    shifted_taste = shifted_popularity = None
    if drift_date is not None:
        category_perm = rng.permutation(n_categories)
        shifted_taste = (1 - taste_shift) * taste + taste_shift * taste[:, category_perm]
        # Geometric interpolation in log space, normalised there too (no underflow at steep exponents).
        log_shifted = (
            (1 - popularity_shift) * np.log(popularity)
            + popularity_shift * np.log(popularity[rng.permutation(n_items)])
        )
        shifted_popularity = np.exp(log_shifted - log_shifted.max())
        shifted_popularity /= shifted_popularity.sum()
    truth = SyntheticTruth(
        category_taste=taste, user_factors=user_factors, item_factors=item_factors,
        item_category=item_category, item_popularity=popularity, weekly_trend=weekly_trend,
        window_start=start, drift_date=drift_date,
        shifted_category_taste=shifted_taste, shifted_item_popularity=shifted_popularity,
        user_activity=activity,
    )  # fmt: skip
    drift_offset = None if drift_date is None else (drift_date - start).total_seconds()

    # 4) Sessions of engagements, in rounds until their funnels hold at least n_interactions events.
    day_weights = _day_weights(start, n_days, weekly_profile, trend)
    expected_events = (1 + np.cumprod(funnel_rates).sum()) * session_length_mean
    need, rounds, n_sessions_so_far = n_interactions, [], 0
    while need > 0:
        n_sessions = int(np.ceil(need / expected_events * 1.2)) + 16
        batch = _sessions(
            n_sessions, activity, day_weights, truth, item_category, release_offset, fallback_item, drift_offset,
            n_candidates, session_length_mean, session_coherence, funnel_rates, rating_fraction, window_seconds, rng,
        )  # fmt: skip
        batch["session"] += n_sessions_so_far
        n_sessions_so_far += n_sessions
        rounds.append(batch)
        need -= int(batch["depth"].sum())
    engagements = {key: np.concatenate([b[key] for b in rounds]) for key in rounds[0]}

    # 5) Keep whole sessions, in random order, until they hold exactly n_interactions events; the
    #    last session kept may lose its tail (a shorter session and funnel are still valid ones).
    session_rank = rng.permutation(n_sessions_so_far)
    order = np.lexsort((engagements["position"], session_rank[engagements["session"]]))
    engagements = {key: value[order] for key, value in engagements.items()}
    cumulative = np.cumsum(engagements["depth"])
    n_keep = int(np.searchsorted(cumulative, n_interactions, side="left")) + 1
    engagements = {key: value[:n_keep] for key, value in engagements.items()}
    engagements["depth"][-1] -= cumulative[n_keep - 1] - n_interactions
    engagements["rated"][-1] &= engagements["depth"][-1] >= 1

    interactions = _expand_funnels(engagements, start)
    users = _users_table(age_group, interactions, start, rng)
    items = pd.DataFrame(
        {
            "item_id": np.arange(n_items),
            "category": pd.Categorical.from_codes(item_category, _category_names(n_categories)),
            "price": _prices(item_category, n_categories, rng),
            "release_date": (start + pd.to_timedelta(release_offset, unit="s")).floor("s"),
        }
    )
    log.debug("generated %d events from %d engagements", len(interactions), n_keep)
    return Dataset(interactions, users, items, truth=truth, name="synthetic")


# ---------------------------------------------------------------------------------------------
# Steps of the generator


def _sessions(
    n_sessions, activity, day_weights, truth, item_category, release_offset, fallback_item, drift_offset,
    n_candidates, session_length_mean, session_coherence, funnel_rates, rating_fraction, window_seconds, rng,
):  # fmt: skip
    """Draw ``n_sessions`` sessions and their engagements: who, when, which items, funnel depth, rating.

    A session belongs to one user, starts at a time drawn from the daily and hourly profiles, stays
    in one category, and holds a geometric number of engagements a few minutes apart. Each
    engagement after the first prefers items similar to the previous one: the candidates are
    judged by (w_u + λ · v_prev) · v_i / √d, which plants the sequential signal that item2vec and
    SASRec learn.
    """
    user = rng.choice(len(activity), size=n_sessions, p=activity)
    day = rng.choice(len(day_weights), size=n_sessions, p=day_weights)
    hour = rng.choice(24, size=n_sessions, p=_HOURLY_PROFILE / _HOURLY_PROFILE.sum())
    start = day * 86_400 + hour * 3_600 + rng.integers(0, 3_600, size=n_sessions)
    after = np.zeros(n_sessions, dtype=bool) if drift_offset is None else start >= drift_offset
    length = np.minimum(rng.geometric(1 / session_length_mean, size=n_sessions), _MAX_SESSION_LENGTH)

    # Engagements, session by session: position 0, 1, ... within each, a few minutes apart.
    session = np.repeat(np.arange(n_sessions), length)
    n = len(session)
    first = np.repeat(np.cumsum(length) - length, length)
    position = np.arange(n) - first
    gaps = np.where(position == 0, 0.0, 30 + rng.exponential(240.0, size=n))
    elapsed = np.cumsum(gaps)
    seconds = start[session] + elapsed - elapsed[first]
    eng_user = user[session]

    item = np.empty(n, dtype=np.int64)
    affinity = np.empty(n, dtype=np.float64)
    # One sampler per (week, before/after drift) of the session's start: popularity differs between them.
    key = (start // (7 * 86_400)) * 2 + after
    for k in np.unique(key):
        week, shifted = divmod(int(k), 2)
        sampler = _CategorySampler(item_category, truth._weekly_popularity(week, bool(shifted)), fallback_item)
        in_key = np.flatnonzero(key == k)
        taste = truth._taste(bool(shifted))
        category = np.empty(n_sessions, dtype=np.int64)
        category[in_key] = _draw_rows(taste[user[in_key]] * sampler.category_mass, rng)  # c ~ θ_u,c · Π_c(t)
        rows_of_key = np.flatnonzero(key[session] == k)
        for pos in range(int(length[in_key].max())):
            rows = rows_of_key[position[rows_of_key] == pos]
            previous = item[rows - 1] if pos > 0 else None
            item[rows] = sampler.choose(
                eng_user[rows], category[session[rows]], seconds[rows], truth, release_offset, n_candidates, rng,
                previous=previous, coherence=session_coherence,
            )  # fmt: skip
            affinity[rows] = truth.affinity(eng_user[rows], item[rows], after_drift=bool(shifted))

    # The funnel: each step's probability rises with standardised affinity z.
    z = (affinity - affinity.mean()) / (affinity.std() + 1e-12)
    depth = np.ones(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    lags = np.zeros((n, 4))
    for step, (rate, slope) in enumerate(zip(funnel_rates, (1.0, 0.8, 0.8), strict=True), start=1):
        p = _sigmoid(_logit(rate) + slope * z)
        alive &= rng.random(n) < p
        depth += alive
        lags[:, step] = lags[:, step - 1] + 5 + rng.exponential(180.0, size=n)  # seconds after the view
    # Events that would happen after the window closes have not happened yet: censor them.
    in_window = seconds[:, None] + lags < window_seconds  # (n, 4)
    depth = np.minimum(depth, in_window.sum(axis=1))

    rated = rng.random(n) < rating_fraction
    latent = 0.9 * z + 0.5 * rng.standard_normal(n)
    rating = 1.0 + (latent[:, None] > _RATING_CUTS[None, :]).sum(axis=1)
    return {"session": session, "position": position, "user": eng_user, "item": item, "seconds": seconds,
            "lags": lags, "depth": depth, "rating": rating, "rated": rated}  # fmt: skip


class _CategorySampler:
    """Draw items of a given category in proportion to popularity, with item-level choice."""

    def __init__(self, item_category: np.ndarray, popularity: np.ndarray, fallback_item: np.ndarray):
        n_categories = int(item_category.max()) + 1
        self.order = np.argsort(item_category, kind="stable")  # items grouped by category
        self.cumulative = np.cumsum(popularity[self.order])
        counts = np.bincount(item_category, minlength=n_categories)
        self.first = np.concatenate([[0], np.cumsum(counts)[:-1]])  # first position of each category
        self.last = self.first + counts - 1
        before = np.concatenate([[0.0], self.cumulative])[self.first]
        self.mass_before = before
        self.category_mass = np.bincount(item_category, weights=popularity, minlength=n_categories)  # Π_c
        self.fallback_item = fallback_item  # per category, an item that predates the window

    def draw(self, category: np.ndarray, size: int, rng) -> np.ndarray:
        """``size`` popularity-weighted draws per row from each row's category: (n, size) items."""
        target = (
            self.mass_before[category][:, None]
            + rng.random((len(category), size)) * self.category_mass[category][:, None]
        )
        position = np.searchsorted(self.cumulative, target, side="right")
        # Floating-point round-off can step one past the category's end.
        position = np.minimum(position, self.last[category][:, None])
        return self.order[position]

    def choose(self, users, category, seconds, truth, release_offset, n_candidates, rng, previous=None, coherence=0.0):
        """Best of ``n_candidates`` items by match + Gumbel noise (SIR of π_i(t) · e^{s_ui}).

        With ``previous`` items, the match is taken against w_u + coherence · v_prev, so the choice
        leans towards items like the previous one. Candidates not yet released are masked, which
        samples from popularity restricted to the items available at that moment.
        """
        candidates = self.draw(category, n_candidates, rng)  # (n, M)
        available = release_offset[candidates] <= seconds[:, None]
        if previous is not None:
            available &= candidates != previous[:, None]  # a session moves on to another item
        d = truth.user_factors.shape[1]
        query = truth.user_factors[users]  # (n, d)
        if previous is not None and coherence > 0:
            query = query + coherence * truth.item_factors[previous]
        match = np.einsum("nd,nmd->nm", query, truth.item_factors[candidates]) / np.sqrt(d)
        noisy = np.where(available, match + rng.gumbel(size=match.shape), -np.inf)
        best = candidates[np.arange(len(users)), noisy.argmax(axis=1)]
        # A row with no available candidate takes its category's fallback item, which predates the
        # window by construction.
        none_available = ~available.any(axis=1)
        best[none_available] = self.fallback_item[category[none_available]]
        return best


def _expand_funnels(engagements: dict, start: pd.Timestamp) -> pd.DataFrame:
    """One row per funnel step reached; the rating sits on an engagement's last event."""
    depth = engagements["depth"]
    n_events = int(depth.sum())
    engagement = np.repeat(np.arange(len(depth)), depth)
    step = np.arange(n_events) - np.repeat(np.cumsum(depth) - depth, depth)  # 0..depth-1
    seconds = engagements["seconds"][engagement] + engagements["lags"][engagement, step]
    is_last = step == depth[engagement] - 1
    rating = np.where(is_last & engagements["rated"][engagement], engagements["rating"][engagement], np.nan)
    timestamp = (np.datetime64(start, "s") + np.floor(seconds).astype("timedelta64[s]")).astype("datetime64[ns]")
    frame = pd.DataFrame(
        {
            "user_id": engagements["user"][engagement].astype(np.int64),
            "item_id": engagements["item"][engagement].astype(np.int64),
            "timestamp": timestamp,
            "event_type": pd.Categorical.from_codes(step, categories=list(EVENT_TYPES)),
            "rating": rating.astype(np.float64),
        }
    )
    return frame.sort_values(["timestamp", "user_id", "item_id"], kind="stable", ignore_index=True)


def _users_table(age_group: np.ndarray, interactions: pd.DataFrame, start: pd.Timestamp, rng) -> pd.DataFrame:
    """Users with an age group and a sign-up date: up to two years before their first event."""
    n_users = len(age_group)
    first_seen = np.full(n_users, np.datetime64(start, "s").astype("datetime64[ns]"))
    firsts = interactions.groupby("user_id", sort=True)["timestamp"].min()
    first_seen[firsts.index.to_numpy()] = np.minimum(firsts.to_numpy(), first_seen[firsts.index.to_numpy()])
    days_before = rng.integers(0, 730, size=n_users).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "user_id": np.arange(n_users),
            "age_group": pd.Categorical.from_codes(age_group, AGE_GROUPS),
            "signup_date": pd.to_datetime(first_seen - days_before).floor("D"),
        }
    )


def _check_config(config: dict) -> None:
    """Raise ``ValueError`` naming the first field of a bad ``make_synthetic`` configuration."""
    if config["reference_date"].tzinfo is not None:
        raise ValueError("make_synthetic: reference_date must be timezone-naive (the data has no time zone)")
    for name in ("n_users", "n_items", "n_interactions", "n_categories", "n_factors", "n_days", "n_candidates"):
        value = config[name]
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"make_synthetic: {name} must be a positive integer, got {value!r}")
    if config["n_categories"] > config["n_items"]:
        raise ValueError(
            f"make_synthetic: n_categories ({config['n_categories']}) cannot exceed n_items ({config['n_items']})"
        )
    for name in ("item_popularity_exponent", "user_activity_exponent"):
        if not 0 <= config[name] <= 5:
            raise ValueError(
                f"make_synthetic: {name} must lie in [0, 5] (beyond 5 the top entity takes nearly "
                f"everything), got {config[name]!r}"
            )
    for name in ("trend", "popularity_volatility"):
        if not np.isfinite(config[name]) or config[name] < 0:
            raise ValueError(f"make_synthetic: {name} must be a finite number >= 0, got {config[name]!r}")
    if not (np.isfinite(config["session_length_mean"]) and config["session_length_mean"] >= 1):
        raise ValueError(f"make_synthetic: session_length_mean must be >= 1, got {config['session_length_mean']!r}")
    if not (np.isfinite(config["session_coherence"]) and config["session_coherence"] >= 0):
        raise ValueError(f"make_synthetic: session_coherence must be >= 0, got {config['session_coherence']!r}")
    if not (np.isfinite(config["taste_concentration"]) and config["taste_concentration"] > 0):
        raise ValueError(
            f"make_synthetic: taste_concentration must be a finite number > 0, got {config['taste_concentration']!r}"
        )
    for name in ("new_item_fraction", "rating_fraction", "taste_shift", "popularity_shift"):
        if not 0 <= config[name] <= 1:
            raise ValueError(f"make_synthetic: {name} must lie in [0, 1], got {config[name]!r}")
    if config["new_item_fraction"] == 1:
        raise ValueError("make_synthetic: new_item_fraction must be < 1 (some items must predate the window)")
    rates = np.asarray(config["funnel_rates"], dtype=float)
    if rates.shape != (3,) or not np.all((rates > 0) & (rates < 1)):
        raise ValueError(
            f"make_synthetic: funnel_rates must be 3 probabilities in (0, 1) "
            f"(click|view, add_to_cart|click, purchase|cart), got {config['funnel_rates']!r}"
        )
    weekly = np.asarray(config["weekly_profile"], dtype=float)
    if weekly.shape != (7,) or not np.all((weekly > 0) & np.isfinite(weekly)):
        raise ValueError(
            f"make_synthetic: weekly_profile must be 7 positive weights (Mon..Sun), got {config['weekly_profile']!r}"
        )
    shares = config["category_shares"]
    if shares is not None:
        shares = np.asarray(shares, dtype=float)
        if shares.shape != (config["n_categories"],) or np.any(shares < 0):
            raise ValueError(
                f"make_synthetic: category_shares must be {config['n_categories']} non-negative probabilities, "
                f"got shape {shares.shape}"
            )
        if not np.isclose(shares.sum(), 1.0):
            raise ValueError(f"make_synthetic: category_shares must sum to 1, they sum to {shares.sum():.6g}")
    drift_date = config["drift_date"]
    has_shift = config["taste_shift"] > 0 or config["popularity_shift"] > 0
    if drift_date is None and has_shift:
        raise ValueError("make_synthetic: taste_shift / popularity_shift need a drift_date")
    if drift_date is not None:
        drift_date = pd.Timestamp(drift_date)
        start = config["reference_date"] - pd.Timedelta(days=int(config["n_days"]))
        if not start < drift_date < config["reference_date"]:
            raise ValueError(
                f"make_synthetic: drift_date must fall inside the window "
                f"({start:%Y-%m-%d} .. {config['reference_date']:%Y-%m-%d}), got {drift_date:%Y-%m-%d}"
            )


def _zipf_weights(n: int, exponent: float, rng) -> np.ndarray:
    """Weights ∝ rank^(−exponent) over a random ranking of ``n`` entities; they sum to 1."""
    weights = np.arange(1, n + 1, dtype=float) ** -exponent
    weights = weights[rng.permutation(n)]
    return weights / weights.sum()


def _assign_categories(n_items: int, shares: np.ndarray, rng) -> np.ndarray:
    """Category codes with the given shares, every category holding at least one item."""
    category = rng.choice(len(shares), size=n_items, p=shares)
    category[rng.choice(n_items, size=len(shares), replace=False)] = np.arange(len(shares))
    return category


def _release_offsets(item_category, popularity, new_item_fraction, window_seconds, rng):
    """Seconds from the window's start to each item's release (negative: before the window).

    The most popular item of every category predates the window, so a category is never empty;
    those items are returned too, one per category.
    """
    n_items = len(item_category)
    offsets = -rng.uniform(0, 2 * 365 * 86_400, size=n_items)  # catalogue: up to two years old
    protected = np.zeros(n_items, dtype=bool)
    order = np.lexsort((-popularity, item_category))
    first_of_category = np.r_[True, item_category[order][1:] != item_category[order][:-1]]
    protected[order[first_of_category]] = True
    eligible = np.flatnonzero(~protected)
    n_new = int(round(new_item_fraction * n_items))
    if n_new > len(eligible):
        raise ValueError(
            f"make_synthetic: new_item_fraction={new_item_fraction} asks for {n_new} new items, but at most "
            f"{len(eligible)} can be new (each category's most popular item predates the window)"
        )
    new = rng.choice(eligible, size=n_new, replace=False)
    offsets[new] = rng.uniform(0, window_seconds, size=n_new)
    fallback_item = np.empty(int(item_category.max()) + 1, dtype=np.int64)
    fallback_item[item_category[order[first_of_category]]] = order[first_of_category]
    return offsets, fallback_item


def _weekly_trend(n_weeks: int, n_items: int, volatility: float, rng, correlation: float = 0.7) -> np.ndarray:
    """exp(σ · z) with z an AR(1) across weeks, stationary N(0, 1) per item: shape (n_weeks, n_items)."""
    z = np.empty((n_weeks, n_items))
    z[0] = rng.standard_normal(n_items)
    for week in range(1, n_weeks):
        z[week] = correlation * z[week - 1] + np.sqrt(1 - correlation**2) * rng.standard_normal(n_items)
    return np.exp(volatility * z)


def _dirichlet_rows(alpha: np.ndarray, rng) -> np.ndarray:
    """One Dirichlet draw per row of ``alpha`` (vectorised through normalised Gamma draws)."""
    gamma = rng.standard_gamma(alpha)
    gamma = np.maximum(gamma, 1e-300)  # keeps log-tastes finite when α is tiny
    return gamma / gamma.sum(axis=1, keepdims=True)


def _draw_rows(weights: np.ndarray, rng) -> np.ndarray:
    """One categorical draw per row, with probabilities ∝ the row's weights."""
    cumulative = np.cumsum(weights, axis=1)
    target = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((cumulative < target[:, None]).sum(axis=1), weights.shape[1] - 1)


def _day_weights(start: pd.Timestamp, n_days: int, weekly_profile, trend: float) -> np.ndarray:
    """Probability of each day: a linear trend times the weekly profile."""
    weekday = (start.day_of_week + np.arange(n_days)) % 7
    weights = (1 + trend * np.arange(n_days) / max(n_days - 1, 1)) * np.asarray(weekly_profile)[weekday]
    return weights / weights.sum()


def _prices(item_category: np.ndarray, n_categories: int, rng) -> np.ndarray:
    """Log-normal prices around a category-level typical price."""
    typical = np.exp(rng.uniform(np.log(5), np.log(300), size=n_categories))
    return np.round(typical[item_category] * rng.lognormal(0.0, 0.5, size=len(item_category)), 2)


def _category_names(n_categories: int) -> list[str]:
    if n_categories <= len(CATEGORY_NAMES):
        return list(CATEGORY_NAMES[:n_categories])
    return [f"category_{k:02d}" for k in range(n_categories)]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1 - p))
