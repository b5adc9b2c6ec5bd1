"""Reading the committed hyperparameter searches back (recsys_tutorial.tuning)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from recsys_tutorial import tuning

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def test_a_name_is_found_above_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(RESULTS.parents[1] / "book")
    assert tuning.read_results("tune_ranking")["benchmark"] == "tune_ranking"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no results file at benchmarks/results/tune_ranking.json"):
        tuning.read_results("tune_ranking")


def test_a_missing_or_foreign_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results file at .*nothing.json; run the benchmark"):
        tuning.read_results(tmp_path / "nothing.json")
    thesis = tmp_path / "thesis.json"
    thesis.write_text(json.dumps({"chapter": 1}))
    with pytest.raises(ValueError, match="is not a results file of benchmarks/"):
        tuning.read_results(thesis)


@pytest.mark.parametrize("name", ["tune_embeddings", "tune_embeddings_temporal", "tune_embeddings_synthetic"])
def test_the_committed_searches_read_back_whole(name):
    results = tuning.read_results(RESULTS / f"{name}.json")
    summary = tuning.search_summary(results)
    assert list(summary.index) == results["parameters"]["models"]
    for model, settings in tuning.chosen_settings(results).items():
        table = tuning.search_table(results, model)
        assert len(table) == summary.loc[model, "tried"]
        # the chosen settings are a configuration tried, and none tried scored better on validation
        same = pd.Series([row == settings for row in table[list(settings)].to_dict("records")], index=table.index)
        assert same.any()
        assert table.loc[same, "validation ndcg@10"].max() == table["validation ndcg@10"].max()
        assert table["validation ndcg@10"].max() == summary.loc[model, "best validation ndcg@10"]
    with pytest.raises(ValueError, match="tried no configuration of 'Oracle'"):
        tuning.search_table(results, "Oracle")


def test_the_two_stage_default_is_what_the_searches_chose():
    """The package's default retrievers carry the temporal search's settings, and its default
    configuration is the one tune_ranking.py found best on validation."""
    from recsys_tutorial import ranking

    chosen = tuning.chosen_settings(RESULTS / "tune_embeddings_temporal.json")
    retrievers = ranking.default_retrievers(random_state=0)
    for name in ["EASE", "ItemKNN", "ALS"]:
        params = retrievers[name].get_params()
        assert {key: params[key] for key in chosen[name]} == chosen[name], name
    assert retrievers["EASE (whole history)"].get_params() == type(retrievers["EASE"])().get_params()
    search = tuning.read_results(RESULTS / "tune_ranking.json")
    validation = {row["configuration"]: row["ndcg@10"] for row in search["results"] if row["stage"] == "validation"}
    portable = [value for name, value in validation.items() if name not in search["parameters"]["dataset_specific"]]
    assert validation["package default"] == validation[search["parameters"]["chosen"]] == max(portable)


def test_bandit_settings_picks_the_least_regret_per_scenario_and_policy():
    results = {"benchmark": "tune_bandits", "results": [
        {"scenario": "fixed", "policy": "ε-greedy", "settings": {"epsilon": 0.0}, "mean_regret": 10.0},
        {"scenario": "fixed", "policy": "ε-greedy", "settings": {"epsilon": 0.1}, "mean_regret": 12.0},
        {"scenario": "fixed", "policy": "LinUCB", "settings": {"alpha": 0.1}, "mean_regret": 9.0},
        {"scenario": "new", "policy": "ε-greedy", "settings": {"epsilon": 0.0}, "mean_regret": 20.0},
        {"scenario": "new", "policy": "ε-greedy", "settings": {"epsilon": 0.1}, "mean_regret": 15.0},
    ]}  # fmt: skip
    chosen = tuning.bandit_settings(results)
    assert chosen.loc[("fixed", "ε-greedy"), "settings"] == {"epsilon": 0.0}
    assert chosen.loc[("new", "ε-greedy"), "settings"] == {"epsilon": 0.1}
    assert chosen.loc[("new", "ε-greedy"), "mean_regret"] == 15.0
    assert chosen["settings tried"].tolist() == [2, 1, 2]
