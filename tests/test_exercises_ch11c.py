"""Exercise checks of chapter 11c: each answer, the verdict it gets, the feedback it reads.

The checks run bandits against the chapter's simulator through cached helpers; here those
helpers return made-up shares and regrets, so the tables run without simulating anything. That
the worked solutions pass is tested by tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch11c

THOMPSON = (0.8123, 0.6071)  # the best item's share: last 10,000 rounds, all rounds
LINUCB = (4321.5, 3456.7)  # mean regret over seeds 0–4: α = 0, tuned
OPTIMISTIC = (0.4321, 0.0)  # the new items' share after they arrive: initial 1, initial 0


@pytest.fixture(autouse=True)
def made_up(monkeypatch):
    monkeypatch.setattr(ch11c, "_thompson_shares", lambda: THOMPSON)
    monkeypatch.setattr(ch11c, "_linucb_regrets", lambda: LINUCB)
    monkeypatch.setattr(ch11c, "_optimistic_shares", lambda: OPTIMISTIC)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.8123, True, "the best item's share of the last 10,000 rounds is 0.8123. Over all", id="right"),
        pytest.param(0.6071, False, "that is the share over all 50,000 rounds", id="whole run"),
        pytest.param(8123.0, False, "that is a count of rounds", id="count"),
        pytest.param(0.5, False, "item_id == best_item over the last 10,000 rows", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_thompson_concentrates(answer, passed, feedback):
    assert_verdict(ch11c.check_1(answer), passed, feedback)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(4321.5, True, "mean regret with α = 0 is 4,322. The tuned bonus gets 3,456.7", id="right"),
        pytest.param(3456.7, False, "that is the tuned LinUCB", id="tuned"),
        pytest.param(5 * 4321.5, False, "that is the total over five seeds", id="total"),
        pytest.param(1000.0, False, "average the five regrets", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_linucb_without_its_bonus(answer, passed, feedback):
    assert_verdict(ch11c.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.4321, True, "the new items' share after they arrive is 0.4321. With a pessimistic", id="right"),
        pytest.param(0.0, False, "that is greedy with the pessimistic start", id="pessimistic"),
        pytest.param(0.9, False, "initial=1.0", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_optimism_explores(answer, passed, feedback):
    assert_verdict(ch11c.check_3(answer), passed, feedback)
