"""Audit figures on a hand-made ranking, and reading the audit attributes file."""

from pathlib import Path

import numpy as np
import pytest

from scoring import fairness

# Predicted success of citizens (rows) for placements (columns); every pair is eligible.
SCORES = np.array([
    [0.9, 0.8, 0.7, 0.1],  # citizen 0, group A
    [0.5, 0.4, 0.3, 0.2],  # citizen 1, group A
    [0.6, 0.3, 0.2, 0.5],  # citizen 2, group B
    [0.1, 0.2, 0.6, 0.3],  # citizen 3, group B
])
GROUPS = ["A", "A", "B", "B"]
SIZES = ["small", "small", "large", "large"]


def _pairs(scores: np.ndarray = SCORES) -> fairness.ScoredPairs:
    citizens, placements = np.nonzero(np.ones_like(scores, dtype=bool))
    return fairness.ScoredPairs(citizens, placements, scores[citizens, placements])


def _by_metric(findings: list[fairness.Finding]) -> dict[str, fairness.Finding]:
    return {finding.metric: finding for finding in findings}


def test_citizen_exposure_and_predicted_success_by_group() -> None:
    found = _by_metric(fairness.citizen_findings(_pairs(), "group", GROUPS, k=1, minimum=1))
    exposure = found["exposure_top10"]
    # Top candidate per placement: citizen 0 for placements 0, 1 and 2 (0.7 beats 0.6), citizen 2 for 3.
    assert [(figure.group, figure.members, figure.value) for figure in exposure.groups] == [
        ("A", 2, 3 / 8), ("B", 2, 1 / 8)]
    assert exposure.ratio == pytest.approx(1 / 3) and exposure.flagged
    success = found["predicted_success"]
    # Each citizen's own top placement: 0.9 and 0.5 (A), 0.6 and 0.6 (B).
    assert [figure.value for figure in success.groups] == pytest.approx([0.7, 0.6])
    assert success.ratio == pytest.approx(0.6 / 0.7) and not success.flagged


def test_employer_exposure_and_predicted_success_by_size() -> None:
    found = _by_metric(fairness.employer_findings(_pairs(), SIZES, ["e0", "e1", "e2", "e3"], k=1, minimum=1))
    exposure = found["exposure_top10"]
    # Each citizen's top placement: 0, 0, 0 (small) and 2 (large).
    assert [(figure.group, figure.members, figure.value) for figure in exposure.groups] == [
        ("large", 2, 1 / 8), ("small", 2, 3 / 8)]
    assert exposure.ratio == pytest.approx(1 / 3) and exposure.flagged
    success = found["predicted_success"]
    assert [figure.value for figure in success.groups] == pytest.approx([2.9 / 8, 3.8 / 8])
    assert success.ratio == pytest.approx(2.9 / 3.8) and success.flagged


def test_small_groups_are_reported_without_a_value_and_left_out_of_the_ratio() -> None:
    groups = ["A", "A", "B", "C"]
    exposure = _by_metric(fairness.citizen_findings(_pairs(), "group", groups, k=1, minimum=2))["exposure_top10"]
    assert [(figure.group, figure.members, figure.value) for figure in exposure.groups] == [
        ("A", 2, 3 / 8), ("B", 1, None), ("C", 1, None)]
    assert exposure.ratio is None and not exposure.flagged


def test_citizens_without_the_attribute_are_left_out() -> None:
    exposure = _by_metric(fairness.citizen_findings(_pairs(), "group", ["A", None, "B", None], k=1,
                                                    minimum=1))["exposure_top10"]
    assert [(figure.group, figure.members) for figure in exposure.groups] == [("A", 1), ("B", 1)]


def test_top_k_breaks_ties_by_row_order() -> None:
    keys = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.5, 0.5, 0.9, 0.1, 0.1])
    assert fairness.top_k(keys, scores, 2).tolist() == [True, False, True, True, True]


def test_read_attributes(tmp_path: Path) -> None:
    path = tmp_path / "citizen_audit_attributes.jsonl"
    path.write_text('{"reference": "demo-101-000001", "jobcentre_code": 101, "age_band": "30-39", "gender": "f"}\n'
                    '\n{"reference": "x", "jobcentre_code": 751, "age_band": null, "gender": "m"}\n', encoding="utf-8")
    assert fairness.read_attributes(path) == {(101, "demo-101-000001"): {"age_band": "30-39", "gender": "f"},
                                              (751, "x"): {"gender": "m"}}
    path.write_text('{"reference": "x", "jobcentre_code": 101}\n{"gender": "m"}\n', encoding="utf-8")
    with pytest.raises(fairness.AttributesFileError, match="line 2"):
        fairness.read_attributes(path)
