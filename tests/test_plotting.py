"""The shared plot helpers draw what they are given and name what is missing."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from recsys_tutorial import plotting  # noqa: E402


def test_leaderboard_draws_one_bar_per_model_best_on_top():
    board = pd.DataFrame({"ndcg@10": [0.1, 0.3, 0.2], "low": [0.05, 0.25, 0.15], "high": [0.15, 0.35, 0.25]},
                         index=["a", "b", "c"])
    fig, ax = plt.subplots()
    plotting.leaderboard(ax, board, highlight=["c"], highlight_label="sequence models", title="t")
    bars = ax.patches
    assert [bar.get_width() for bar in bars] == [0.1, 0.2, 0.3]  # drawn bottom to top: best last
    assert bars[1].get_facecolor() != bars[0].get_facecolor()  # the highlighted model stands out
    assert ax.get_title() == "t" and "NDCG@10" in ax.get_xlabel()
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["sequence models", "other models"]
    plt.close(fig)


def test_leaderboard_highlights_only_what_it_can_name():
    board = pd.DataFrame({"ndcg@10": [0.1], "low": [0.05], "high": [0.15]}, index=["a"])
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="say what the highlighted models are"):
        plotting.leaderboard(ax, board, highlight=["a"])
    with pytest.raises(ValueError, match=r"no models \['z'\] on the board"):
        plotting.leaderboard(ax, board, highlight=["z"], highlight_label="z")
    plotting.leaderboard(ax, board)
    assert ax.get_legend() is None
    plt.close(fig)


def test_leaderboard_names_missing_columns():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"\['high', 'low'\]"):
        plotting.leaderboard(ax, pd.DataFrame({"ndcg@10": [0.1]}))
    plt.close(fig)
