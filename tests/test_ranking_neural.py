"""DCN-v2 and DeepFM rankers, and the calibration report."""

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from recsys_tutorial.models.base import NotFittedError
from recsys_tutorial.ranking.calibration import calibration_report
from recsys_tutorial.ranking.neural import DCN, CrossNetwork, DeepFM, DeepFMNetwork

MODELS = [DCN, DeepFM]
#: Small, fast settings for the synthetic frames below.
FAST = dict(learning_rate=1e-2, batch_size=128, n_epochs=30, random_state=0)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny networks train faster on one thread, and a busy machine does not slow them down."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def interaction_frame(n: int, seed: int) -> pd.DataFrame:
    """A ranking frame whose label depends only on interactions, so a linear model cannot rank it.

    logit = 3·a·b + 3·s(kind)·c with s(x) = +1, s(y) = −1: a product of two numeric features and
    a categorical × numeric interaction. Every feature alone is independent of the label.
    """
    rng = np.random.default_rng(seed)
    a, b, c, noise = rng.normal(size=(4, n))
    kind = rng.choice(["x", "y"], size=n)
    logit = 3 * a * b + 3 * np.where(kind == "x", c, -c)
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 50, n),
            "item_id": rng.integers(0, 100, n),
            "user__a": a,
            "item__b": b,
            "item__c": c,
            "item__kind": pd.Categorical(kind, categories=["x", "y"]),
            "context__noise": noise,
        }
    )
    frame["label"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int) * rng.integers(1, 4, n)  # graded
    return frame


@pytest.fixture(scope="module")
def frames():
    return interaction_frame(3000, 0), interaction_frame(1000, 1), interaction_frame(2000, 2)  # train, valid, test


@pytest.fixture(scope="module", params=MODELS, ids=lambda m: m.__name__)
def fitted(request, frames):
    train, valid, _ = frames
    return request.param(**FAST).fit(train, validation_frame=valid)


# ----------------------------------------------------------------------------------------------
# The maths of the networks


def test_cross_layers_compute_x0_times_affine_plus_x():
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(5, 3))
    weights, biases = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3))
    network = CrossNetwork(width=3, n_layers=2)
    with torch.no_grad():
        for layer, W, b in zip(network.layers, weights, biases, strict=True):
            layer.weight.copy_(torch.as_tensor(W))
            layer.bias.copy_(torch.as_tensor(b))
        got = network(torch.as_tensor(x0)).numpy()
    x = x0
    for W, b in zip(weights, biases, strict=True):
        x = x0 * (x @ W.T + b) + x  # x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l, row by row
    np.testing.assert_allclose(got, x, rtol=1e-12, atol=1e-12)


def test_fm_second_order_term_is_the_sum_over_pairs():
    torch.manual_seed(0)
    network = DeepFMNetwork(n_numeric=2, cardinalities=[4, 3], n_factors=5, hidden=(8,))
    with torch.no_grad():
        for table in network.embeddings:
            table.weight.normal_()
        network.numeric_vectors.normal_()
        numeric = torch.randn(6, 2, dtype=torch.float64)
        codes = torch.tensor([[0, 1], [1, 2], [2, 0], [3, 1], [1, 1], [0, 2]])
        v = network.fields(numeric, codes)  # (6, 4, 5)
        got = DeepFMNetwork.second_order(v).numpy()
    # Numeric fields are z_j · u_j; categorical fields their embedding rows.
    np.testing.assert_array_equal(v[:, 0].numpy(), (numeric[:, :1] * network.numeric_vectors[0]).detach().numpy())
    np.testing.assert_array_equal(v[:, 3].numpy(), network.embeddings[1].weight[codes[:, 1]].detach().numpy())
    v = v.numpy()
    # Σ_{i<k} ⟨v_i, v_k⟩, pair by pair
    pairs = sum((v[:, i] * v[:, k]).sum(axis=1) for i, k in itertools.combinations(range(4), 2))
    np.testing.assert_allclose(got, pairs, rtol=1e-12, atol=1e-12)
    assert np.abs(got).max() > 1  # not trivially zero


# ----------------------------------------------------------------------------------------------
# Learning


def test_learns_interactions_a_linear_model_cannot(fitted, frames):
    train, _, test = frames
    auc = roc_auc_score(test["label"] > 0, fitted.predict(test))

    def raw(frame):
        return np.c_[frame[["user__a", "item__b", "item__c", "context__noise"]], frame["item__kind"] == "x"]

    baseline = LogisticRegression().fit(raw(train), train["label"] > 0)
    baseline_auc = roc_auc_score(test["label"] > 0, baseline.predict_proba(raw(test))[:, 1])
    assert auc > 0.85
    assert auc > baseline_auc + 0.2


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_same_seed_same_predictions_other_seed_different(model, frames):
    train, _, test = frames
    settings = dict(FAST, n_epochs=2)
    first = model(**settings).fit(train).predict(test)
    again = model(**settings).fit(train).predict(test)
    other = model(**dict(settings, random_state=1)).fit(train).predict(test)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_early_stopping_keeps_the_best_epoch(fitted, frames):
    _, valid, _ = frames
    history = fitted.history_
    assert list(history.columns) == ["loss", "validation_loss"]
    assert len(history) < FAST["n_epochs"]  # stopped early
    assert fitted.best_epoch_ == history["validation_loss"].idxmin()
    assert len(history) == fitted.best_epoch_ + fitted.patience  # `patience` epochs without a new best
    assert history["validation_loss"].iloc[-1] > history["validation_loss"].min()
    kept = log_loss(valid["label"] > 0, fitted.predict(valid))  # the kept weights are the best epoch's
    assert kept == pytest.approx(history["validation_loss"].min(), rel=1e-9)


def test_predicts_probabilities_and_scores_unseen_categories(fitted, frames):
    test = frames[2].head(50).drop(columns="label")
    probabilities = fitted.predict(test)
    assert probabilities.dtype == np.float64 and probabilities.shape == (50,)
    assert ((probabilities > 0) & (probabilities < 1)).all()
    assert fitted.predict(test.head(0)).shape == (0,)
    unseen = test.assign(item__kind=pd.Categorical(["z"] * 50))  # a category training never saw
    as_strings = test.assign(item__kind=test["item__kind"].astype(str))  # plain strings work too
    assert np.isfinite(fitted.predict(unseen)).all()
    np.testing.assert_array_equal(fitted.predict(as_strings), probabilities)
    # Each row is scored on its own: the other rows of the frame change it by rounding at most.
    np.testing.assert_allclose(fitted.predict(test.iloc[::-1])[::-1], probabilities, rtol=1e-12)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_refit_forgets_the_previous_fit(model, frames):
    train, valid, _ = frames
    ranker = model(**dict(FAST, n_epochs=2))
    with pytest.raises(NotFittedError, match="not fitted"):
        ranker.predict(valid)
    ranker.fit(train, validation_frame=valid)
    ranker.fit(train, features=["user__a", "item__kind"])
    assert ranker.features_ == ["user__a", "item__kind"]
    assert ranker.numeric_features_ == ["user__a"] and ranker.categorical_features_ == ["item__kind"]
    assert list(ranker.history_.columns) == ["loss"] and ranker.best_epoch_ == 2  # no validation frame
    with pytest.raises(ValueError, match="bad"):
        ranker.learning_rate = "bad"  # a failed refit leaves the model unfitted
        ranker.fit(train)
    with pytest.raises(NotFittedError):
        ranker.predict(valid)


# ----------------------------------------------------------------------------------------------
# Clear errors


def _train():
    return interaction_frame(200, 3)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "change, match",
    [
        (lambda f: f.drop(columns="label"), "no 'label' column"),
        (lambda f: f.rename(columns=lambda c: c.replace("__", "_")), "no feature columns"),
        (lambda f: f.assign(user__a=np.where(np.arange(len(f)) == 3, np.nan, f["user__a"])), "'user__a'.*NaN"),
        (lambda f: f.assign(label=0), "single class"),
        (lambda f: f.assign(label=2), "single class"),
        (lambda f: f.assign(item__kind=f["item__kind"].astype(str)), "'item__kind' has dtype .*category"),
        (lambda f: f.assign(label=-1), "'label'.*>= 0"),
    ],
    ids=["no-label", "no-features", "nan", "all-negative", "all-positive", "string-dtype", "negative-label"],
)
def test_bad_training_frames_raise(model, change, match):
    with pytest.raises(ValueError, match=match):
        model(n_epochs=1).fit(change(_train()))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(learning_rate=0), "learning_rate must be a positive number"),
        (dict(n_epochs=0), "n_epochs must be a positive integer"),
        (dict(batch_size=-5), "batch_size must be a positive integer"),
        (dict(n_factors=2.5), "n_factors must be a positive integer"),
        (dict(patience=0), "patience must be a positive integer"),
        (dict(reg=-1e-3), "reg .* must be a number >= 0"),
        (dict(hidden=(32, 0)), "hidden must be a tuple of positive integers"),
        (dict(random_state="seed"), "random_state must be an integer or None"),
    ],
)
def test_bad_hyperparameters_raise(model, params, match):
    with pytest.raises(ValueError, match=match):
        model(**params).fit(_train())


def test_dcn_needs_cross_layers():
    with pytest.raises(ValueError, match="n_cross_layers must be a positive integer"):
        DCN(n_cross_layers=0).fit(_train())


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_bad_prediction_frames_raise(model):
    train = _train()
    ranker = model(n_epochs=1).fit(train)
    with pytest.raises(ValueError, match=r"feature column\(s\) \['item__c'\] missing from frame"):
        ranker.predict(train.drop(columns="item__c"))
    with pytest.raises(ValueError, match="'item__b' of frame has NaN"):
        ranker.predict(train.assign(item__b=np.nan))
    with pytest.raises(ValueError, match=r"missing from validation_frame"):
        model(n_epochs=1).fit(train, validation_frame=train.drop(columns="item__c"))
    with pytest.raises(ValueError, match=r"feature column\(s\) \['item__zzz'\] missing from train_frame"):
        model(n_epochs=1).fit(train, features=["item__b", "item__zzz"])


# ----------------------------------------------------------------------------------------------
# Calibration report


def test_calibration_report_matches_sklearn():
    rng = np.random.default_rng(0)
    p = rng.random(500)
    y = (rng.random(500) < p**2).astype(int)
    metrics, _ = calibration_report(y, p)
    assert list(metrics.index) == ["log_loss", "brier", "auc", "ece", "base_rate", "mean_prediction"]
    assert metrics["log_loss"] == pytest.approx(log_loss(y, p))
    assert metrics["brier"] == pytest.approx(brier_score_loss(y, p))
    assert metrics["auc"] == pytest.approx(roc_auc_score(y, p))
    assert metrics["base_rate"] == pytest.approx(y.mean()) and metrics["mean_prediction"] == pytest.approx(p.mean())


def test_ece_by_hand():
    # Perfectly calibrated: 1 of the 4 rows at 0.25 is positive, 3 of the 4 at 0.75.
    metrics, _ = calibration_report([0, 0, 0, 1, 1, 1, 1, 0], [0.25] * 4 + [0.75] * 4, n_bins=2)
    assert metrics["ece"] == pytest.approx(0.0, abs=1e-15)
    # Bin [0, .5]: p̄ = 0.2, ȳ = 0; bin (.5, 1]: p̄ = 0.7, ȳ = 1.  ECE = ½·0.2 + ½·0.3 = 0.25.
    metrics, reliability = calibration_report([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8], n_bins=2)
    assert metrics["ece"] == pytest.approx(0.25)
    np.testing.assert_allclose(reliability["mean_predicted"], [0.2, 0.7])
    np.testing.assert_allclose(reliability["observed_rate"], [0.0, 1.0])
    assert reliability["count"].tolist() == [2, 2]


def test_reliability_table_agrees_with_calibration_curve():
    rng = np.random.default_rng(1)
    p = np.r_[rng.random(300) * 0.7, [0.0, 0.1, 0.2, 0.5, 1.0]]  # few above 0.7 (an empty bin), and edges
    y = (rng.random(len(p)) < p).astype(int)
    metrics, reliability = calibration_report(y, p, n_bins=10)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    filled = reliability[reliability["count"] > 0]
    assert len(filled) < 10 and reliability["count"].sum() == len(p)
    np.testing.assert_allclose(filled["observed_rate"], prob_true)
    np.testing.assert_allclose(filled["mean_predicted"], prob_pred)
    ece = np.sum(filled["count"] / len(p) * np.abs(prob_true - prob_pred))
    assert metrics["ece"] == pytest.approx(ece)


@pytest.mark.parametrize(
    "labels, probabilities, match",
    [
        ([0, 1, 1], [0.2, 0.8], "differ in length"),
        ([0, 1], [0.2, 1.2], r"probabilities must be numbers in \[0, 1\]"),
        ([0, 1], [np.nan, 0.5], r"probabilities must be numbers in \[0, 1\]"),
        ([0, 2], [0.2, 0.8], "labels must be binary"),
        ([1, 1], [0.2, 0.8], "single class"),
        ([], [], "empty"),
    ],
)
def test_calibration_report_rejects_bad_input(labels, probabilities, match):
    with pytest.raises(ValueError, match=match):
        calibration_report(labels, probabilities)
