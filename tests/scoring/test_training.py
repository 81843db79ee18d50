"""Training data from history: known effect directions recovered, no label leakage through the employer's
track record, reproducible sampled negatives, the time split, and too little history."""

import datetime as dt
import uuid
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from matching import vectorised
from scoring import service, training
from scoring.features import FEATURE_INDEX, FEATURE_NAMES
from scoring.model import AdditiveRanker
from tests.scoring.conftest import FAST

COLUMN = FEATURE_INDEX


async def _history(pool: asyncpg.Pool) -> training.History:
    async with pool.acquire() as conn:
        return await training.load_history(conn, service.profile_engine("no-encoder"), None)


def _effect(ranker: AdditiveRanker, name: str, low: float, high: float) -> float:
    """Log-odds difference of one feature's shape between two values (the model is additive)."""
    column = np.array([low, high])
    shape = ranker.shapes_[COLUMN[name]]
    low_effect, high_effect = shape.evaluate(column)
    return float(high_effect - low_effect)


async def test_training_on_the_demo_history_recovers_the_known_effect_directions(history_pool: asyncpg.Pool) -> None:
    """demo/outcomes.py: success rises with essential skills, experience in the occupation, wishes and
    fitting hours, and falls with the commute. Even without monotonic constraints the fit finds that."""
    history = await _history(history_pool)
    training_set = training.build_training_set(history)
    unconstrained = training.fit(training_set.train, monotonic=False, **FAST)
    assert _effect(unconstrained, "essential_skill_share", 0.0, 1.0) > 0.5
    assert _effect(unconstrained, "occupation_match", 0.0, 1.0) > 0.2
    assert _effect(unconstrained, "wish_match", 0.0, 1.0) > 0.1
    assert _effect(unconstrained, "hours_fit", 0.4, 1.0) > 0.0
    assert _effect(unconstrained, "commute_share", 0.1, 1.0) < 0.0
    constrained = training.fit(training_set.train, **FAST)
    assert _effect(constrained, "essential_skill_share", 0.0, 1.0) > 0.5
    grid = np.linspace(0, 1, 21)
    for name in ("essential_skill_share", "occupation_match", "employer_track_record"):
        assert (np.diff(constrained.shapes_[COLUMN[name]].evaluate(grid)) >= 0).all(), name
    assert (np.diff(constrained.shapes_[COLUMN["commute_share"]].evaluate(grid * 2)) <= 0).all()


async def test_rows_are_pairs_as_of_their_decision_day(history_pool: asyncpg.Pool) -> None:
    history = await _history(history_pool)
    training_set = training.build_training_set(history)
    train, held_out = training_set.train, training_set.held_out
    start = training_set.held_out_from.toordinal()
    assert train.days.max() < start <= held_out.days.min()
    assert train.features.shape[1] == len(FEATURE_NAMES)
    assert set(train.counts()) == {"success", "failure", "declined", "sampled"}
    assert (train.weights[train.kinds == "sampled"] == training.SAMPLED_WEIGHT).all()
    assert (train.weights[train.kinds == "declined"] == training.DECLINED_WEIGHT).all()
    assert (train.weights[np.isin(train.kinds, ["success", "failure"])] == 1).all()
    assert (train.labels[train.kinds != "success"] == 0).all() and (train.labels[train.kinds == "success"] == 1).all()
    # Unknown for the past: the load; the text similarity without vectors.
    assert (train.features[:, COLUMN["employer_load"]] == 0).all()
    assert np.isnan(train.features[:, COLUMN["semantic_opening"]]).all()
    assert training_set.summary["features_without_variation"] == [
        "semantic_opening", "semantic_employer", "employer_load", "freshness"]


def test_the_track_record_counts_only_placements_that_ended_before_the_day() -> None:
    employer = uuid.uuid4()
    day = dt.date(2025, 6, 1).toordinal()
    ends = np.array([day - 30, day - 1, day, day + 20])  # the pair's own placement ends on or after its day
    history = training.History(jobcentre_code=None, citizens=[], placements=[], events=[], encoder_id="",
                               outcomes={employer: (ends, np.array([1, 0, 1, 1]))})
    days = np.array([day - 40, day - 1, day, day + 1, day + 30])
    past, successes = training._track_record_as_of(history, [employer] * 5, days)
    assert past.tolist() == [0, 1, 2, 3, 4]
    assert successes.tolist() == [0, 1, 1, 2, 3]
    unknown_employer = training._track_record_as_of(history, [uuid.uuid4()], np.array([day]))
    assert [values.tolist() for values in unknown_employer] == [[0], [0]]


async def test_no_placement_counts_towards_its_own_track_record(history_pool: asyncpg.Pool) -> None:
    history = await _history(history_pool)
    training_set = training.build_training_set(history)
    rows = training_set.train.subset(np.isin(training_set.train.kinds, ["success", "failure"]))
    for row in range(len(rows)):
        placement = history.placements[rows.placements[row]]
        ends, wins = history.outcomes[placement.employer_id]
        before = ends < rows.days[row]
        expected = vectorised.track_record(np.array([before.sum()]), np.array([wins[before].sum()]))[0]
        assert rows.features[row, COLUMN["employer_track_record"]] == expected
        # Today's count includes this placement's own outcome; the row never does.
        assert before.sum() < len(ends)


async def test_sampled_negatives_are_seeded_eligible_and_never_chosen_pairs(history_pool: asyncpg.Pool) -> None:
    history = await _history(history_pool)
    first = training.build_training_set(history, seed=3)
    again = training.build_training_set(history, seed=3)
    other = training.build_training_set(history, seed=4)
    assert np.array_equal(first.train.features, again.train.features, equal_nan=True)
    assert not np.array_equal(first.train.placements, other.train.placements)
    decided = {(history.citizens[citizen].id, history.placements[placement].employer_id,
                history.placements[placement].opening_id)
               for citizen, placement, kind in zip(first.train.queries, first.train.placements, first.train.kinds,
                                                   strict=True) if kind != "sampled"}
    sampled = first.train.kinds == "sampled"
    encoded = vectorised.encode_profiles(history.citizens, history.placements)
    citizens, placements = first.train.queries[sampled], first.train.placements[sampled]
    assert vectorised.within_reach(encoded, citizens, placements).all()
    assert not {(history.citizens[c].id, history.placements[p].employer_id, history.placements[p].opening_id)
                for c, p in zip(citizens, placements, strict=True)} & decided


async def test_too_little_history_is_a_clear_error_and_nothing_is_registered(pool: asyncpg.Pool,
                                                                            tmp_path: Path) -> None:
    with pytest.raises(training.InsufficientHistory, match="too little history") as raised:
        await service.train(pool, encoder_id="no-encoder", data_dir=tmp_path, params=FAST)
    assert "active model is kept" in raised.value.detail
    async with pool.acquire() as conn:
        assert await service.list_versions(conn) == []
        assert (await service.active_scorer(conn)).version == service.default_scorer().version


async def test_the_model_is_calibrated_on_the_latest_slice_of_the_training_period(history_pool: asyncpg.Pool) -> None:
    """Platt scaling learnt on the latest fifth of the training placements by a model that never saw them:
    recorded in the ranker, monotone, and closer to the realised success rate of that slice than before."""
    history = await _history(history_pool)
    train = training.build_training_set(history).train
    ranker = training.fit(train, **FAST)
    calibration = ranker.calibration_
    assert calibration["method"] == "platt" and calibration["slope"] > 0
    start = dt.date.fromisoformat(calibration["fitted_from"]).toordinal()
    placed_days = np.sort(train.days[np.isin(train.kinds, ["success", "failure"])])
    assert placed_days[0] < start <= placed_days[-1]
    in_slice = (train.days >= start) & (train.kinds != "sampled")
    assert calibration["rows"] == int(in_slice.sum()) and calibration["successes"] == int(train.labels[in_slice].sum())
    uncalibrated = training.fit(train, calibrate=False, **FAST)
    assert uncalibrated.calibration_["method"] == "none"
    assert np.array_equal(np.argsort(ranker.decision_function(train.features), kind="stable"),
                          np.argsort(uncalibrated.decision_function(train.features), kind="stable"))
    # The earlier rows' model, recalibrated, predicts the slice's overall success rate about right.
    earlier = AdditiveRanker(**FAST).fit(train.features[train.days < start], train.labels[train.days < start],
                                         sample_weight=train.weights[train.days < start])
    observed = train.labels[in_slice].mean()
    raw = earlier.predict_proba(train.features[in_slice])[:, 1].mean()
    recalibrated = earlier.calibrate(calibration).predict_proba(train.features[in_slice])[:, 1].mean()
    assert abs(recalibrated - observed) < abs(raw - observed) and abs(recalibrated - observed) < 0.03


def test_too_small_a_slice_leaves_the_model_uncalibrated_and_says_why() -> None:
    rng = np.random.default_rng(0)
    rows = 120
    features = rng.random((rows, len(FEATURE_NAMES)))
    labels = (rng.random(rows) < features[:, COLUMN["essential_skill_share"]]).astype(np.int64)
    kinds = np.where(labels == 1, "success", "failure")
    dataset = training.Dataset(features, labels, np.ones(rows), np.arange(rows) + 700_000, kinds,
                               np.arange(rows), np.arange(rows), np.zeros(rows, dtype=np.int64))
    calibration = training.calibration(dataset, **FAST)
    assert calibration["method"] == "none" and "too few decided pairs" in calibration["reason"]
    assert training.fit(dataset, **FAST).calibration_["method"] == "none"
