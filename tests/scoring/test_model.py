"""The ranker and its artefact: estimator contract, monotonic constraints, exact contributions, identical
scores after a round trip, and refusal of corrupt or foreign files."""

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from scoring.base import Scorer
from scoring.features import FEATURE_INDEX, FEATURE_NAMES
from scoring.model import FORMAT_VERSION, MONOTONIC, AdditiveRanker, ArtefactError, RankingModel, checksum_of

COLUMN = FEATURE_INDEX


def synthetic(rows: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Success driven by skills (+), commute (−) and track record (+); semantic features partly unknown."""
    rng = np.random.default_rng(seed)
    features = rng.random((rows, len(FEATURE_NAMES)))
    features[:, COLUMN["commute_km"]] *= 60
    features[rng.random(rows) < 0.3, COLUMN["semantic_opening"]] = np.nan
    logit = (3 * features[:, COLUMN["essential_skill_share"]] - 0.05 * features[:, COLUMN["commute_km"]]
             + 2 * features[:, COLUMN["employer_track_record"]] - 1.5)
    labels = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return features, labels


@pytest.fixture(scope="module")
def fitted() -> tuple[RankingModel, np.ndarray]:
    features, labels = synthetic()
    ranker = AdditiveRanker(max_iter=80, learning_rate=0.1).fit(features, labels)
    model = RankingModel("ranker-test-1", ranker, training={"rows": len(labels)}, metrics={"note": "synthetic"})
    return model, features


def test_follows_the_estimator_contract(fitted: tuple[RankingModel, np.ndarray]) -> None:
    model, features = fitted
    ranker = model.ranker
    assert set(ranker.get_params()) == {"learning_rate", "max_iter", "max_leaf_nodes", "min_samples_leaf",
                                        "l2_regularization", "max_bins", "monotonic", "random_state"}
    unfitted = clone(ranker)
    assert not hasattr(unfitted, "shapes_")
    assert all(name.endswith("_") for name in vars(ranker) if name not in ranker.get_params())
    probabilities = ranker.predict_proba(features[:10])
    assert probabilities.shape == (10, 2) and np.allclose(probabilities.sum(axis=1), 1)
    assert set(ranker.predict(features).tolist()) <= {0, 1}
    assert isinstance(model, Scorer)


def test_learns_the_directions_of_the_synthetic_effects(fitted: tuple[RankingModel, np.ndarray]) -> None:
    model, features = fitted
    probe = np.tile(np.nanmedian(features, axis=0), (2, 1))
    for name, low, high, sign in (("essential_skill_share", 0.0, 1.0, 1), ("commute_km", 2.0, 50.0, -1),
                                  ("employer_track_record", 0.1, 0.9, 1)):
        probe[:, COLUMN[name]] = [low, high]
        scores = model.score(probe)
        assert sign * (scores[1] - scores[0]) > 0.05, name
        probe[:, COLUMN[name]] = np.nanmedian(features[:, COLUMN[name]])


def test_monotonic_constraints_hold_even_against_the_data() -> None:
    """Labels that reward a longer commute and fewer skills: the constrained model stays flat instead."""
    features, _ = synthetic(seed=1)
    rng = np.random.default_rng(1)
    perverse = (rng.random(len(features)) < 0.2 + 0.6 * (features[:, COLUMN["commute_km"]] / 60)
                * (1 - features[:, COLUMN["essential_skill_share"]])).astype(int)
    ranker = AdditiveRanker(max_iter=60, learning_rate=0.2).fit(features, perverse)
    grid = np.linspace(0, 1, 41)
    for name, direction in MONOTONIC.items():
        probe = np.tile(np.nanmedian(features, axis=0), (len(grid), 1))
        probe[:, COLUMN[name]] = grid * (60 if name == "commute_km" else 1)
        steps = np.diff(ranker.decision_function(probe))
        assert (direction * steps >= -1e-12).all(), name
    unconstrained = AdditiveRanker(max_iter=60, learning_rate=0.2, monotonic=False).fit(features, perverse)
    probe = np.tile(np.nanmedian(features, axis=0), (2, 1))
    probe[:, COLUMN["commute_km"]] = [2, 58]
    assert np.diff(unconstrained.decision_function(probe))[0] > 0  # the data really did push the other way


def test_contributions_sum_to_the_score_and_unknown_features_are_neutral(
        fitted: tuple[RankingModel, np.ndarray]) -> None:
    model, features = fitted
    rows = features[:200]
    contributions = model.contributions(rows)
    assert contributions.shape == rows.shape
    np.testing.assert_allclose(model.base_value + contributions.sum(axis=1), model.score(rows), atol=1e-9)
    unknown = np.isnan(rows[:, COLUMN["semantic_opening"]])
    assert unknown.any() and (contributions[unknown, COLUMN["semantic_opening"]] == 0).all()
    # Exact for an additive model: the skills contribution depends on the skills value alone.
    twin = rows[:2].copy()
    twin[:, COLUMN["essential_skill_share"]] = 0.9
    logits = model.ranker.logit_contributions(twin)
    assert logits[0, COLUMN["essential_skill_share"]] == logits[1, COLUMN["essential_skill_share"]] > 0
    assert np.sign(contributions[0]).tolist() == np.sign(model.ranker.logit_contributions(rows[:1])[0]).tolist()


def test_artefact_round_trip_gives_identical_scores(fitted: tuple[RankingModel, np.ndarray], tmp_path: Path) -> None:
    model, features = fitted
    path = tmp_path / "models" / f"{model.version}.json"
    model.save(path)
    loaded = RankingModel.load(path)
    assert loaded.version == model.version and loaded.checksum == model.checksum
    assert np.array_equal(loaded.score(features), model.score(features))
    assert np.array_equal(loaded.contributions(features), model.contributions(features))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["feature_names"] == list(FEATURE_NAMES)
    assert document["training"] == {"rows": 3000} and document["format_version"] == FORMAT_VERSION
    assert document["estimator"]["params"]["monotonic"] is True
    assert "pickle" not in path.read_text(encoding="utf-8")


def _tamper(model: RankingModel, change: dict[str, object], *, fix_checksum: bool) -> str:
    document = model.document()
    document.update(change)
    if fix_checksum:
        document["checksum"] = checksum_of(document)
    return json.dumps(document)


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not valid JSON"),
    ('{"format": "sklearn-pickle"}', "not a model artefact"),
    ("[1, 2, 3]", "not a model artefact"),
])
def test_foreign_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(ArtefactError, match=message):
        RankingModel.from_json(text)


def test_corrupt_artefacts_are_refused(fitted: tuple[RankingModel, np.ndarray], tmp_path: Path) -> None:
    model, _ = fitted
    edited = model.document()
    edited["model"]["intercept"] += 0.5
    with pytest.raises(ArtefactError, match="checksum mismatch"):
        RankingModel.from_json(json.dumps(edited))
    with pytest.raises(ArtefactError, match="format version 99"):
        RankingModel.from_json(_tamper(model, {"format_version": 99}, fix_checksum=True))
    with pytest.raises(ArtefactError, match="other features"):
        RankingModel.from_json(_tamper(model, {"feature_names": [*FEATURE_NAMES, "age_band"]}, fix_checksum=True))
    with pytest.raises(ArtefactError, match="not the registered"):
        RankingModel.from_json(model.to_json(), expected_checksum="0" * 64)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(model.to_json()[:500], encoding="utf-8")
    with pytest.raises(ArtefactError, match="not valid JSON"):
        RankingModel.load(truncated)
    with pytest.raises(ArtefactError, match="cannot read"):
        RankingModel.load(tmp_path / "missing.json")


def test_an_all_unknown_feature_trains_as_neutral() -> None:
    features, labels = synthetic(rows=800)
    features[:, COLUMN["semantic_employer"]] = np.nan
    ranker = AdditiveRanker(max_iter=20).fit(features, labels)
    assert len(ranker.shapes_[COLUMN["semantic_employer"]].thresholds) == 0
    assert (ranker.logit_contributions(features[:5])[:, COLUMN["semantic_employer"]] == 0).all()


def _calibrated(model: RankingModel, slope: float, intercept: float) -> RankingModel:
    """The same fitted shapes with a Platt scaling on top (through the artefact, so the fixture stays as it is)."""
    twin = RankingModel.from_json(model.to_json())
    twin.ranker.calibrate({"method": "platt", "slope": slope, "intercept": intercept})
    return RankingModel(twin.version, twin.ranker)


def test_calibration_keeps_the_order_and_the_contributions_exact(fitted: tuple[RankingModel, np.ndarray]) -> None:
    model, features = fitted
    calibrated = _calibrated(model, 0.6, -0.8)
    rows = features[:300]
    raw, scores = model.score(rows), calibrated.score(rows)
    assert not np.allclose(raw, scores)
    # Monotone: the ranking is the same, and the probability before calibration is still reported.
    assert np.array_equal(np.argsort(raw, kind="stable"), np.argsort(scores, kind="stable"))
    np.testing.assert_allclose(calibrated.uncalibrated_score(rows), raw, atol=1e-12)
    # Linear in log-odds: every feature's exact contribution is scaled by the slope, and they still sum.
    np.testing.assert_allclose(calibrated.ranker.logit_contributions(rows),
                               0.6 * model.ranker.logit_contributions(rows), atol=1e-12)
    np.testing.assert_allclose(calibrated.base_value + calibrated.contributions(rows).sum(axis=1), scores, atol=1e-9)
    np.testing.assert_allclose(calibrated.ranker.expected_logit_
                               + calibrated.ranker.logit_contributions(rows).sum(axis=1),
                               calibrated.ranker.decision_function(rows), atol=1e-9)


def test_calibration_survives_the_artefact_and_older_artefacts_read_as_uncalibrated(
        fitted: tuple[RankingModel, np.ndarray]) -> None:
    model, features = fitted
    calibrated = _calibrated(model, 0.6, -0.8)
    loaded = RankingModel.from_json(calibrated.to_json())
    assert loaded.calibrated and loaded.ranker.calibration_["slope"] == 0.6
    assert np.array_equal(loaded.score(features), calibrated.score(features))
    # An artefact of format version 1 has no calibration: it scores as it always did.
    document = model.document()
    del document["model"]["calibration"]
    document["format_version"] = 1
    document["checksum"] = checksum_of(document)
    old = RankingModel.from_json(json.dumps(document))
    assert not old.calibrated and np.array_equal(old.score(features), model.score(features))


@pytest.mark.parametrize("slope", [0.0, -1.0])
def test_a_calibration_that_would_reverse_or_flatten_the_ranking_is_refused(
        fitted: tuple[RankingModel, np.ndarray], slope: float) -> None:
    model, _ = fitted
    document = model.document()
    document["model"]["calibration"] = {"method": "platt", "slope": slope, "intercept": 0.0}
    document["checksum"] = checksum_of(document)
    with pytest.raises(ArtefactError, match="positive slope"):
        RankingModel.from_json(json.dumps(document))
    with pytest.raises(ValueError, match="positive slope"):
        RankingModel.from_json(model.to_json()).ranker.calibrate({"method": "platt", "slope": slope, "intercept": 0})


def test_rows_of_weight_zero_are_left_out_of_the_fit() -> None:
    features, labels = synthetic(rows=1500)
    extra, _ = synthetic(rows=1500, seed=1)
    padded = AdditiveRanker(max_iter=30).fit(np.vstack([features, extra]), np.concatenate([labels, np.zeros(1500)]),
                                             sample_weight=np.concatenate([np.ones(1500), np.zeros(1500)]))
    plain = AdditiveRanker(max_iter=30).fit(features, labels, sample_weight=np.ones(1500))
    assert np.array_equal(padded.decision_function(features), plain.decision_function(features))
