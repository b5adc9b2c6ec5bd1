"""Exercise checks of chapter 5, on hand-made recalls: each answer, the verdict it gets, the feedback it reads.

The checks measure the chapter's indexes and candidate pools once, in cached helpers that return
plain numbers; here those helpers return the made-up numbers below, so the tables run without
building an index. That the worked solutions pass on the real indexes is tested by
tests/test_exercise_solutions.py.
"""

import numpy as np
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch05

# ---------------------------------------------------------------------------------------------
# 1) Recall@10 of IVF-PQ with 8-byte codes, no re-ranking

PQ8_RECALL = {"codes only": 0.6234, "re-ranked": 0.9712}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.6234, True, "is 0.6234. Each vector is now 8 bytes of code", id="right"),
        pytest.param(0.6237, True, "brings recall back to 0.9712", id="within 0.1 %"),
        pytest.param(0.9712, False, "build it with refine_factor=0", id="re-ranked"),
        pytest.param(62.34, False, "a share between 0 and 1, not a percentage", id="percentage"),
        pytest.param(62.0, False, "not a percentage", id="rounded percentage"),
        pytest.param(0.62, False, "rounded to too few figures", id="rounded"),
        pytest.param(-0.3, False, "between 0 and 1; got -0.3", id="negative"),
        pytest.param(400.0, False, "between 0 and 1; got 400", id="too large for a percentage"),
        pytest.param(0.8, False, "kind='ivfpq', m=8, refine_factor=0", id="anything else"),
        pytest.param("abc", False, "expected the recall@10 of IVF-PQ with 8-byte codes as a number", id="text"),
        pytest.param(float("nan"), False, "as a finite number", id="nan"),
        pytest.param([0.5, 0.6], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_pq_with_8_byte_codes(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch05, "_pq8_recall", lambda: PQ8_RECALL)
    assert_verdict(ch05.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The smallest nprobe with recall@10 ≥ 0.99: recall climbs with nprobe and first reaches it at 12

RECALL_BY_NPROBE = {nprobe: 0.9 + 0.0076 * nprobe for nprobe in range(1, 13)}  # 0.9076 ... 0.9912


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(12, True, "nprobe = 12: 12 of the 1,264 cells", id="right"),
        pytest.param(12.0, True, "Powers of two would have sent you to 16", id="float"),
        pytest.param(np.int64(12), True, "nprobe = 12", id="numpy integer"),
        pytest.param(11, False, "at nprobe = 11 the recall@10 is 0.9836, still below 0.99", id="one short"),
        pytest.param(16, False, "the first power of two on target", id="power of two"),
        pytest.param(40, False, "a smaller nprobe does too", id="more than needed"),
        pytest.param(0, False, "nprobe is at least 1 cell", id="zero"),
        pytest.param(12.5, False, "nprobe counts cells, a whole number", id="fraction"),
        pytest.param("fourteen", False, "expected a number of cells as a number", id="text"),
        pytest.param({14}, False, "as a single number", id="set"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_smallest_nprobe(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch05, "_ivf_recall_by_nprobe", lambda: RECALL_BY_NPROBE)
    assert_verdict(ch05.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Candidate recall of the embedding ANN + co-visitation pool of 300

POOL_RECALL = {
    "two sources": 0.4712,
    "three sources": 0.4593,
    "both lists whole": 0.5521,
    "embedding ANN": 0.3901,
    "co-visitation": 0.4102,
    "popularity": 0.2200,
}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.4712, True, "is 0.4712. Popularity added to the same budget gives 0.4593", id="right"),
        pytest.param(0.4593, False, "that pool includes popularity", id="three sources"),
        pytest.param(0.5521, False, "keeps both lists whole, up to 600 candidates", id="both lists whole"),
        pytest.param(0.3901, False, "that is one source alone", id="embedding ANN alone"),
        pytest.param(0.4102, False, "that is one source alone", id="co-visitation alone"),
        pytest.param(0.47, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.2, False, "merge them into a pool of 300 with retrieval.merge_candidates", id="anything else"),
        pytest.param("0.47", False, "expected the candidate recall of the two-source pool of 300 as a number",
                     id="text"),
        pytest.param(float("inf"), False, "as a finite number", id="infinity"),
        pytest.param(object(), False, "as a single number, got object", id="object"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_two_source_pool(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch05, "_pool_recall", lambda: POOL_RECALL)
    assert_verdict(ch05.check_3(answer), passed, feedback)
