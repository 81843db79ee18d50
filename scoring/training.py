"""Training data from a jobcentre's own history, the time-based split, and fitting the ranker.

Rows are (citizen, placement) pairs seen as of the day they were decided:

- positives: placements that ended well (completed, hired, extended);
- negatives: placements that failed (dropped out, cancelled) at weight 1, and suggestions the consultant
  declined at weight `DECLINED_WEIGHT` (a consultant's judgement of the recorded profile, not an outcome);
- sampled non-chosen candidates: for every decided pair in the training period `NEGATIVES_PER_EVENT`
  placements the citizen could have been suggested (a shared scheme, within their commute limit, hours
  within tolerance, no clash with a consented limitation) but was not, drawn uniformly with a seeded
  generator, labelled 0 and weighted `SAMPLED_WEIGHT` = 0: we do not know they would have failed, only
  that nobody chose them, and any positive weight made the ranking of expected outcomes worse on the
  demo histories (docs/ranking-model.md). They stay in the training set (reported, and drawn so that the
  held-out sample is the same whatever the weight). In the held-out period each citizen's decided pairs
  are ranked among `EVALUATION_NEGATIVES` such candidates.

`fit` then calibrates the model (Platt scaling) on the latest slice of the training period.

No feature may leak the label: the employer's track record and experience are recomputed as of the
decision day from placements that had ended before it (so never from the pair itself); the employer's
load is unknown for the past and set to 0; everything else is what the profiles say today. Audit
attributes (age band, gender) are never read here.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
import numpy as np
from sklearn.linear_model import LogisticRegression

from core.errors import Conflict
from core.vocab import Scheme
from matching import eligibility, vectorised
from matching.profiles import CitizenProfile, Placement
from matching.service import Engine, load_profiles
from scoring import repository
from scoring.features import FEATURE_INDEX, FEATURE_NAMES
from scoring.model import UNCALIBRATED, AdditiveRanker

NEGATIVES_PER_EVENT = 4
SAMPLED_WEIGHT = 0.0
DECLINED_WEIGHT = 0.5
EVALUATION_NEGATIVES = 25
HELD_OUT_SHARE = 0.2  # the latest fifth of the placements with a known outcome, by decision day
MIN_EVENTS = 150
MIN_SUCCESSES = 30
MIN_HELD_OUT_EVENTS = 30
CALIBRATION_SHARE = 0.2  # the latest fifth of the training period's placements with an outcome, by decision day
MIN_CALIBRATION_EVENTS = 30
DEFAULT_SEED = 20260105

Progress = Callable[[str, float], None]


class InsufficientHistory(Conflict):
    """Too little history to train on or to evaluate with: the active model stays as it is."""

    code = "insufficient_history"


@dataclass(frozen=True)
class Event:
    """A decided pair: a placement with a known outcome, or a declined suggestion."""

    citizen_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID | None
    scheme: Scheme
    day: dt.date
    label: int
    kind: str  # success, failure, declined


@dataclass
class History:
    """What training reads from the database, as profiles and events."""

    jobcentre_code: int | None
    citizens: list[CitizenProfile]
    placements: list[Placement]
    events: list[Event]
    # Per employer: end days (ordinals, sorted) of placements with a known outcome, and 1 for a success.
    outcomes: dict[uuid.UUID, tuple[np.ndarray, np.ndarray]]
    encoder_id: str


@dataclass
class Dataset:
    """Rows of pairs with features (FEATURE_NAMES columns), labels, weights and where they came from."""

    features: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    days: np.ndarray  # decision day ordinals
    kinds: np.ndarray  # success, failure, declined, sampled
    queries: np.ndarray  # the citizen (index into History.citizens) a row belongs to
    placements: np.ndarray  # index into History.placements
    schemes: np.ndarray  # scheme code (matching.vectorised.SCHEMES) the pair was described with

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> "Dataset":
        return Dataset(self.features[mask], self.labels[mask], self.weights[mask], self.days[mask],
                       self.kinds[mask], self.queries[mask], self.placements[mask], self.schemes[mask])

    def counts(self) -> dict[str, int]:
        kinds, numbers = np.unique(self.kinds, return_counts=True)
        return {str(kind): int(number) for kind, number in zip(kinds, numbers, strict=True)}


@dataclass
class TrainingSet:
    train: Dataset
    held_out: Dataset
    held_out_from: dt.date
    summary: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# Loading


async def load_history(conn: asyncpg.Connection, engine: Engine, jobcentre_code: int | None) -> History:
    """Decided pairs (of one jobcentre's citizens, or all) and the profiles they need."""
    events: list[Event] = []
    outcome_rows: dict[uuid.UUID, list[tuple[int, int]]] = defaultdict(list)
    for row in await repository.placements(conn):
        if row["outcome"] is None or row["end_date"] is None:
            continue  # still running (or extended without an end): the outcome is not known yet
        outcome_rows[row["employer_id"]].append((row["end_date"].toordinal(), int(row["success"])))
        if jobcentre_code is None or row["jobcentre_code"] == jobcentre_code:
            events.append(Event(row["citizen_id"], row["employer_id"], row["opening_id"], Scheme(row["scheme"]),
                                row["decided_on"] or row["start_date"], int(row["success"]),
                                "success" if row["success"] else "failure"))
    for row in await repository.decisions(conn, jobcentre_code):
        if row["state"] == "declined":
            events.append(Event(row["citizen_id"], row["employer_id"], row["opening_id"], Scheme(row["scheme"]),
                                row["decided_on"], 0, "declined"))
    events.sort(key=lambda event: (event.day, str(event.citizen_id), str(event.employer_id),
                                   str(event.opening_id or "")))
    outcomes = {}
    for employer_id, items in outcome_rows.items():
        items.sort()
        outcomes[employer_id] = (np.array([day for day, _ in items], dtype=np.int64),
                                 np.array([success for _, success in items], dtype=np.int64))
    opening_ids = await repository.opening_ids(conn)
    employer_ids = set(await repository.host_employer_ids(conn))
    employer_ids |= {event.employer_id for event in events if event.opening_id is None}
    citizens, placements = await load_profiles(conn, engine, {event.citizen_id for event in events}, opening_ids,
                                               employer_ids)
    return History(jobcentre_code=jobcentre_code, citizens=sorted(citizens.values(), key=lambda c: str(c.id)),
                   placements=[placements[key] for key in sorted(placements, key=lambda k: (str(k[0]), str(k[1])))],
                   events=events, outcomes=outcomes, encoder_id=engine.encoder_id)


# ---------------------------------------------------------------------------------------------------
# Building rows


def held_out_start(events: Sequence[Event], share: float = HELD_OUT_SHARE) -> dt.date:
    """The first day of the held-out period: about the latest `share` of placements with a known outcome
    were decided on or after it. (Placements, not all decisions: a placement's outcome comes months after
    the decision, so recent history holds mostly declined suggestions.)"""
    days = sorted(event.day for event in events if event.kind != "declined")
    if not days:
        raise InsufficientHistory("no placements with an outcome to learn from")
    return days[min(len(days) - 1, int(len(days) * (1 - share)))]


def _track_record_as_of(history: History, employer_ids: Sequence[uuid.UUID], days: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(past placements, past successes) per row: placements at the employer that ended before the day."""
    past = np.zeros(len(days), dtype=np.int64)
    successes = np.zeros(len(days), dtype=np.int64)
    rows_by_employer: dict[uuid.UUID, list[int]] = defaultdict(list)
    for row, employer_id in enumerate(employer_ids):
        rows_by_employer[employer_id].append(row)
    for employer_id, rows in rows_by_employer.items():
        if employer_id not in history.outcomes:
            continue
        ends, wins = history.outcomes[employer_id]
        cumulative = np.concatenate([[0], np.cumsum(wins)])
        index = np.array(rows)
        before = np.searchsorted(ends, days[index], side="left")  # strictly before the decision day
        past[index] = before
        successes[index] = cumulative[before]
    return past, successes


def _features(history: History, encoded: vectorised.EncodedProfiles, citizens: np.ndarray, placements: np.ndarray,
              schemes: np.ndarray, days: np.ndarray) -> np.ndarray:
    matrix = vectorised.pair_features(encoded, citizens, placements, schemes, days)
    past, successes = _track_record_as_of(history, [history.placements[index].employer_id for index in placements],
                                          days)
    matrix[:, FEATURE_INDEX["employer_track_record"]] = vectorised.track_record(past, successes)
    matrix[:, FEATURE_INDEX["employer_experience"]] = vectorised.experience(past)
    matrix[:, FEATURE_INDEX["employer_load"]] = 0.0  # unknown for the past: as a calm employer
    return matrix


def _sampler(history: History, encoded: vectorised.EncodedProfiles, events: Sequence[Event]
             ) -> Callable[[int, int, np.random.Generator], np.ndarray]:
    """sample(citizen index, count, rng): placements the citizen could have been suggested and was not."""
    chosen: dict[int, set[int]] = defaultdict(set)
    citizen_index = {citizen.id: index for index, citizen in enumerate(history.citizens)}
    placement_index = {(p.employer_id, p.opening_id): index for index, p in enumerate(history.placements)}
    for event in events:
        key = (event.employer_id, event.opening_id)
        if event.citizen_id in citizen_index and key in placement_index:
            chosen[citizen_index[event.citizen_id]].add(placement_index[key])
    every = np.arange(len(history.placements))
    pools: dict[int, np.ndarray] = {}

    def pool(citizen: int) -> np.ndarray:
        if citizen not in pools:
            reachable = every[vectorised.within_reach(encoded, np.full(len(every), citizen), every)]
            person = history.citizens[citizen]
            pools[citizen] = np.array([index for index in reachable if index not in chosen[citizen]
                                       and not eligibility.limitation_conflicts(person, history.placements[index])],
                                      dtype=np.int64)
        return pools[citizen]

    def sample(citizen: int, count: int, rng: np.random.Generator) -> np.ndarray:
        candidates = pool(citizen)
        if len(candidates) <= count:
            return candidates
        picked: np.ndarray = rng.choice(candidates, size=count, replace=False)
        return picked

    return sample


def build_training_set(history: History, *, held_out_from: dt.date | None = None, seed: int = DEFAULT_SEED,
                       progress: Progress | None = None) -> TrainingSet:
    """Rows for training (before `held_out_from`) and evaluation (from it on), with sampled negatives.

    Deterministic for the same history and seed. CPU-bound: call it in a worker thread from async code.
    Raises InsufficientHistory when there is too little to learn from or to evaluate with.
    """
    citizen_index = {citizen.id: index for index, citizen in enumerate(history.citizens)}
    placement_index = {(p.employer_id, p.opening_id): index for index, p in enumerate(history.placements)}
    events = [event for event in history.events
              if event.citizen_id in citizen_index and (event.employer_id, event.opening_id) in placement_index]
    _check_enough(events)
    start = held_out_from or held_out_start(events)
    encoded = vectorised.encode_profiles(history.citizens, history.placements)
    sample = _sampler(history, encoded, events)
    rng = np.random.default_rng(seed)
    citizens: list[int] = []
    placements: list[int] = []
    schemes: list[int] = []
    days: list[int] = []
    labels: list[int] = []
    kinds: list[str] = []
    weights: list[float] = []
    sampled_citizens: list[int] = []
    sampled_placements: list[int] = []
    sampled_days: list[int] = []
    first_held_out_day: dict[int, int] = {}
    for number, event in enumerate(events):
        citizen = citizen_index[event.citizen_id]
        citizens.append(citizen)
        placements.append(placement_index[(event.employer_id, event.opening_id)])
        schemes.append(vectorised.SCHEME_CODE[event.scheme])
        days.append(event.day.toordinal())
        labels.append(event.label)
        kinds.append(event.kind)
        weights.append(DECLINED_WEIGHT if event.kind == "declined" else 1.0)
        if event.day < start:
            negatives = sample(citizen, NEGATIVES_PER_EVENT, rng)
            sampled_citizens += [citizen] * len(negatives)
            sampled_placements += negatives.tolist()
            sampled_days += [event.day.toordinal()] * len(negatives)
        else:
            first_held_out_day.setdefault(citizen, event.day.toordinal())
        if progress is not None and number % 500 == 0:
            progress("sampling", number / max(len(events), 1))
    for citizen, day in sorted(first_held_out_day.items()):
        negatives = sample(citizen, EVALUATION_NEGATIVES, rng)
        sampled_citizens += [citizen] * len(negatives)
        sampled_placements += negatives.tolist()
        sampled_days += [day] * len(negatives)
    count = len(sampled_citizens)
    all_citizens = np.array(citizens + sampled_citizens, dtype=np.int64)
    all_placements = np.array(placements + sampled_placements, dtype=np.int64)
    all_days = np.array(days + sampled_days, dtype=np.int64)
    # Every pair is described with the scheme the engine would choose for it, as when it is served; the
    # recorded scheme only where the pair shares none today. (The consultant's own choice would tell a
    # decided pair from a sampled one by its scheme alone.)
    chosen = vectorised.choose_schemes(encoded, all_citizens, all_placements)
    recorded = np.concatenate([np.array(schemes, dtype=np.int64), np.full(count, vectorised.NO_SCHEME)])
    all_schemes = np.where(chosen == vectorised.NO_SCHEME, recorded, chosen)
    if progress is not None:
        progress("features", 0.0)
    matrix = _features(history, encoded, all_citizens, all_placements, all_schemes, all_days)
    dataset = Dataset(features=matrix, labels=np.array(labels + [0] * count, dtype=np.int64),
                      weights=np.array(weights + [SAMPLED_WEIGHT] * count), days=all_days,
                      kinds=np.array(kinds + ["sampled"] * count), queries=all_citizens, placements=all_placements,
                      schemes=all_schemes)
    held_out = dataset.days >= start.toordinal()
    train, evaluation = dataset.subset(~held_out), dataset.subset(held_out)
    _check_split(train, evaluation, start)
    summary = _summary(history, train, evaluation, start, seed)
    return TrainingSet(train=train, held_out=evaluation, held_out_from=start, summary=summary)


def _check_enough(events: Sequence[Event]) -> None:
    successes = sum(event.label for event in events)
    if len(events) < MIN_EVENTS or successes < MIN_SUCCESSES:
        raise InsufficientHistory(
            f"too little history to train a ranking model: {len(events)} decided pairs with {successes} "
            f"successful placements; at least {MIN_EVENTS} pairs and {MIN_SUCCESSES} successes are needed. "
            "The active model is kept.")


def _check_split(train: Dataset, held_out: Dataset, start: dt.date) -> None:
    train_events = int((train.kinds != "sampled").sum())
    held_out_events = int((held_out.kinds != "sampled").sum())
    if held_out_events < MIN_HELD_OUT_EVENTS or int(held_out.labels.sum()) == 0:
        raise InsufficientHistory(
            f"too little recent history to evaluate on: {held_out_events} decided pairs from "
            f"{start.isoformat()} on (at least {MIN_HELD_OUT_EVENTS}, with a success among them, are needed). "
            "The active model is kept.")
    if train_events < MIN_EVENTS * (1 - HELD_OUT_SHARE) or len(set(train.labels.tolist())) < 2:
        raise InsufficientHistory(
            f"too little history before {start.isoformat()} to train on ({train_events} decided pairs). "
            "The active model is kept.")


def _summary(history: History, train: Dataset, held_out: Dataset, start: dt.date, seed: int) -> dict[str, Any]:
    def period(dataset: Dataset) -> dict[str, Any]:
        days = dataset.days
        return {"rows": len(dataset), "by_kind": dataset.counts(),
                "first_day": dt.date.fromordinal(int(days.min())).isoformat() if len(days) else None,
                "last_day": dt.date.fromordinal(int(days.max())).isoformat() if len(days) else None,
                "citizens": len(set(dataset.queries.tolist()))}

    constant = [name for index, name in enumerate(FEATURE_NAMES)
                if np.nanmin(train.features[:, index], initial=np.inf) == np.nanmax(train.features[:, index],
                                                                                    initial=-np.inf)
                or np.isnan(train.features[:, index]).all()]
    return {
        "jobcentre_code": history.jobcentre_code, "encoder_id": history.encoder_id,
        "held_out_from": start.isoformat(), "train": period(train), "held_out": period(held_out),
        "sampling": {"negatives_per_event": NEGATIVES_PER_EVENT, "sampled_weight": SAMPLED_WEIGHT,
                     "declined_weight": DECLINED_WEIGHT, "evaluation_negatives": EVALUATION_NEGATIVES,
                     "seed": seed},
        "features_without_variation": constant,
        "unknown_share": {name: round(float(np.isnan(train.features[:, FEATURE_INDEX[name]]).mean()), 4)
                          for name in ("semantic_opening", "semantic_employer")},
    }


def fit(train: Dataset, *, calibrate: bool = True, **params: Any) -> AdditiveRanker:
    """Fit the ranker on the training rows and calibrate it (see `calibration`); CPU-bound: call it in a
    worker thread from async code."""
    ranker = AdditiveRanker(**params).fit(train.features, train.labels, sample_weight=train.weights)
    if calibrate:
        ranker.calibrate(calibration(train, **params))
    return ranker


def calibration(train: Dataset, **params: Any) -> dict[str, Any]:
    """Platt scaling for a model fitted on `train`, learnt on the latest slice of the training period.

    A model with the same hyperparameters is fitted on the rows before the slice (the latest
    `CALIBRATION_SHARE` of the training placements with an outcome, by decision day), and a logistic
    regression of the slice's real labels (decided pairs, unweighted: a declined suggestion counts as no
    success, as in the evaluation) on its raw log-odds gives slope and intercept. Held-out figures drift
    because the mix of decided pairs changes over time (recent history holds more declined suggestions);
    the latest slice is the nearest honest picture of what comes next. Applied to the model fitted on all
    of `train` (as scikit-learn's cross-validated calibration does). Too small a slice, a slice of one
    class, or a non-positive slope (no ranking signal there) leaves the model uncalibrated, saying why.
    """
    decided = train.kinds != "sampled"
    placed = np.isin(train.kinds, ["success", "failure"])
    if not placed.any():
        return {**UNCALIBRATED, "reason": "no placements with an outcome in the training period"}
    days = np.sort(train.days[placed])
    start = int(days[min(len(days) - 1, int(len(days) * (1 - CALIBRATION_SHARE)))])
    in_slice = (train.days >= start) & decided
    before = train.days < start
    labels = train.labels[in_slice]
    if in_slice.sum() < MIN_CALIBRATION_EVENTS or len(set(labels.tolist())) < 2 \
            or len(set(train.labels[before].tolist())) < 2:
        return {**UNCALIBRATED, "reason": f"too few decided pairs to calibrate on from "
                                          f"{dt.date.fromordinal(start).isoformat()} ({int(in_slice.sum())})"}
    earlier = AdditiveRanker(**params).fit(train.features[before], train.labels[before],
                                           sample_weight=train.weights[before])
    raw = earlier.raw_decision_function(train.features[in_slice])
    regression = LogisticRegression(C=1e4).fit(raw[:, None], labels)
    slope, intercept = float(regression.coef_[0, 0]), float(regression.intercept_[0])
    described = {"fitted_from": dt.date.fromordinal(start).isoformat(), "rows": int(in_slice.sum()),
                 "successes": int(labels.sum())}
    if slope <= 0:
        return {**UNCALIBRATED, **described, "reason": "the model does not rank the latest slice (slope <= 0)"}
    return {"method": "platt", "slope": slope, "intercept": intercept, **described}


def without_vectors(history: History) -> History:
    """The history with text vectors left out (every semantic feature unknown): what the packaged default
    model is trained on, so that it does not depend on one encoder's similarity scale."""
    return replace(history,
                   citizens=[replace(citizen, vector=None) for citizen in history.citizens],
                   placements=[replace(placement, opening_vector=None, employer_vector=None)
                               for placement in history.placements], encoder_id="")
