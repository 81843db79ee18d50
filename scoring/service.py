"""Ranking models: the active scorer for the matching engine, training and registering candidates,
evaluation against the baselines, promotion with a guard, and rollback. No HTTP here.

What serves: the promoted model (at most one is active, by a unique index); with none promoted, the
default model packaged in `scoring/data/default_model.json`; with that missing or unreadable, the
weighted baseline. The active model changes only through `promote` and `rollback`, each recorded in
`model_events`; a model worse than the active one on the held-out period is refused unless forced.
"""

import asyncio
import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np

from core.cache import Cache
from core.errors import Conflict, NotFound
from matching import vectorised
from matching.profiles import CitizenProfile, Placement
from matching.service import Engine, load_profiles
from scoring import evaluation, fairness, repository, training
from scoring.base import Scorer
from scoring.baseline import WeightedBaseline
from scoring.model import FORMAT_VERSION, ArtefactError, RankingModel

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "data" / "default_model.json"
DEFAULT_VERSION_ALIAS = "default"
PRIMARY_METRIC = "ndcg_at_10"
CANDIDATE = "candidate"

Progress = Callable[[str, float], Awaitable[None]]


class PromotionRefused(Conflict):
    code = "promotion_refused"


# ---------------------------------------------------------------------------------------------------
# Serving


@dataclass
class _Cached:
    checksum: str
    model: RankingModel


_by_version: dict[str, _Cached] = {}
_default: list[Scorer] = []


def default_scorer() -> Scorer:
    """The packaged default model (loaded once per process); the weighted baseline if it cannot be read."""
    if not _default:
        try:
            _default.append(RankingModel.load(DEFAULT_MODEL_PATH))
        except ArtefactError as error:
            logger.error("the packaged default model is unusable (%s); ranking with the weighted baseline",
                         error.detail)
            _default.append(WeightedBaseline())
    return _default[0]


async def active_scorer(conn: asyncpg.Connection) -> Scorer:
    """What ranks now: the promoted model, read once per call by version (one indexed row) and cached per
    process until the active version or its checksum changes; the default without a promoted model."""
    row = await repository.active_version(conn)
    if row is None:
        return default_scorer()
    cached = _by_version.get(row["version"])
    if cached is not None and cached.checksum == row["checksum"]:
        return cached.model
    stored = await repository.get_version(conn, row["version"], with_artefact=True)
    if stored is None:  # deleted between the two reads: nothing is active any more
        return default_scorer()
    try:
        model = await asyncio.to_thread(RankingModel.from_json, stored["artefact"], expected_checksum=row["checksum"])
    except ArtefactError as error:
        logger.error("active model %s is unusable (%s); serving the default model", row["version"], error.detail)
        return default_scorer()
    _by_version.clear()  # only the active version is worth keeping
    _by_version[row["version"]] = _Cached(row["checksum"], model)
    return model


# ---------------------------------------------------------------------------------------------------
# Registry


def new_version(now: dt.datetime | None = None) -> str:
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"ranker-{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def artefact_path(data_dir: Path, version: str) -> Path:
    return data_dir / "models" / f"{version}.json"


async def register(conn: asyncpg.Connection, model: RankingModel, *, data_dir: Path,
                   held_out_from: dt.date | None, jobcentre_code: int | None) -> None:
    """Store a trained model (inactive) in the registry and its artefact under data_dir/models/."""
    text = model.to_json()
    checksum = RankingModel.from_json(text).checksum  # what a reader will verify
    await repository.insert_version(conn, version=model.version, checksum=checksum, format_version=FORMAT_VERSION,
                                    artefact=text, metrics=model.metrics, training=model.training,
                                    held_out_from=held_out_from, jobcentre_code=jobcentre_code)
    await repository.add_event(conn, version=model.version, action="registered", previous_version=None,
                               detail={"checksum": checksum})
    path = artefact_path(data_dir, model.version)
    await asyncio.to_thread(model.save, path)


async def load_version(conn: asyncpg.Connection, version: str) -> RankingModel:
    """A registered model, verified against its registered checksum."""
    row = await repository.get_version(conn, version, with_artefact=True)
    if row is None:
        raise NotFound(f"no model version '{version}' (see `brobygger model list`)")
    model: RankingModel = await asyncio.to_thread(RankingModel.from_json, row["artefact"],
                                                  expected_checksum=row["checksum"])
    return model


async def list_versions(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await repository.list_versions(conn)
    return [dict(row) for row in rows]


# ---------------------------------------------------------------------------------------------------
# Training and evaluation


def profile_engine(encoder_id: str, today: dt.date | None = None) -> Engine:
    # load_profiles reads the encoder's vectors and counts placements under way as of `today`.
    return Engine(encoder_id=encoder_id, dims=None, scorer=WeightedBaseline(), cache=Cache(None, ""),
                  today=today or dt.date.today())


def _candidates(candidate: Scorer | None, active: Scorer,
                candidate_name: str = CANDIDATE) -> list[evaluation.Candidate]:
    found = evaluation.baseline_candidates()
    if candidate is not None:
        found.append(evaluation.scorer_candidate(candidate_name, candidate))
    if candidate is None or active.version != candidate.version:
        found.append(evaluation.scorer_candidate(f"active ({active.version})", active))
    return found


@dataclass
class TrainingOutcome:
    model: RankingModel
    comparison: dict[str, dict[str, Any]]
    held_out_from: dt.date


async def train(pool: asyncpg.Pool, *, encoder_id: str, data_dir: Path, jobcentre_code: int | None = None,
                seed: int = training.DEFAULT_SEED, params: dict[str, Any] | None = None,
                progress: Progress | None = None, register_model: bool = True) -> TrainingOutcome:
    """Train a candidate on the history before the held-out period, evaluate it there against the
    baselines and the active model, and register it (inactive). Raises InsufficientHistory (the active
    model is untouched) when there is too little history."""
    async def report(stage: str, share: float) -> None:
        if progress is not None:
            await progress(stage, share)

    await report("loading history", 0.05)
    async with pool.acquire() as conn:
        history = await training.load_history(conn, profile_engine(encoder_id), jobcentre_code)
        active = await active_scorer(conn)
    await report("building the training set", 0.2)
    training_set = await asyncio.to_thread(training.build_training_set, history, seed=seed)
    await report("fitting", 0.4)
    ranker = await asyncio.to_thread(training.fit, training_set.train, **(params or {}))
    model = RankingModel(version=new_version(), ranker=ranker, training=training_set.summary)
    await report("evaluating", 0.8)
    comparison = await asyncio.to_thread(evaluation.evaluate, training_set.held_out, _candidates(model, active))
    model.metrics = {"held_out_from": training_set.held_out_from.isoformat(), "primary": PRIMARY_METRIC,
                     "evaluation": comparison}
    if register_model:
        await report("registering", 0.95)
        async with pool.acquire() as conn, conn.transaction():
            await register(conn, model, data_dir=data_dir, held_out_from=training_set.held_out_from,
                           jobcentre_code=jobcentre_code)
    await report("done", 1.0)
    return TrainingOutcome(model, comparison, training_set.held_out_from)


async def compare(pool: asyncpg.Pool, candidate: RankingModel, *, encoder_id: str, held_out_from: dt.date | None,
                  jobcentre_code: int | None, seed: int = training.DEFAULT_SEED,
                  active: Scorer | None = None) -> dict[str, dict[str, Any]]:
    """Evaluate `candidate`, the baselines and the active model on the same held-out rows, rebuilt from
    today's data for the candidate's held-out period."""
    async with pool.acquire() as conn:
        history = await training.load_history(conn, profile_engine(encoder_id), jobcentre_code)
        current = active or await active_scorer(conn)
    training_set = await asyncio.to_thread(training.build_training_set, history, held_out_from=held_out_from,
                                           seed=seed)
    return await asyncio.to_thread(evaluation.evaluate, training_set.held_out,
                                   _candidates(candidate, current, f"{CANDIDATE} ({candidate.version})"))


async def evaluate_version(pool: asyncpg.Pool, version: str | None, *, encoder_id: str
                           ) -> tuple[str, dict[str, dict[str, Any]]]:
    """(version, comparison) for a registered version (the latest when None) on its held-out period."""
    async with pool.acquire() as conn:
        chosen = version or await repository.latest_version(conn)
        if chosen is None:
            raise NotFound("no trained model yet: run `brobygger model train`")
        model = await load_version(conn, chosen)
        row = await repository.get_version(conn, chosen)
    assert row is not None
    comparison = await compare(pool, model, encoder_id=encoder_id, held_out_from=row["held_out_from"],
                               jobcentre_code=row["jobcentre_code"])
    return chosen, comparison


async def request_training(conn: asyncpg.Connection, jobcentre_code: int | None) -> uuid.UUID:
    """A queued training run; send `scoring.tasks.train_model_job` with its id after the commit."""
    return await repository.create_run(conn, jobcentre_code)


async def run_training(pool: asyncpg.Pool, run_id: uuid.UUID, *, encoder_id: str, data_dir: Path) -> str | None:
    """Carry out a queued training run, recording its stage and progress; returns the registered version,
    or None when the run was not queued (already taken or finished: a repeated job does nothing).
    Too little history fails the run with its message; any other error fails it and is raised again."""
    async with pool.acquire() as conn:
        if not await repository.start_run(conn, run_id):
            return None
        row = await repository.get_run(conn, run_id)
    assert row is not None

    async def progress(stage: str, share: float) -> None:
        async with pool.acquire() as conn:
            await repository.report_progress(conn, run_id, stage, share)

    try:
        outcome = await train(pool, encoder_id=encoder_id, data_dir=data_dir, jobcentre_code=row["jobcentre_code"],
                              progress=progress)
    except training.InsufficientHistory as error:
        async with pool.acquire() as conn:
            await repository.fail_run(conn, run_id, error.detail)
        return None
    except Exception as error:
        async with pool.acquire() as conn:
            await repository.fail_run(conn, run_id, f"{type(error).__name__}: {error}")
        raise
    async with pool.acquire() as conn:
        await repository.finish_run(conn, run_id, outcome.model.version)
    return outcome.model.version


async def training_runs(conn: asyncpg.Connection, limit: int = 10) -> list[dict[str, Any]]:
    return [dict(row) for row in await repository.list_runs(conn, limit)]


async def get_training_run(conn: asyncpg.Connection, run_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get_run(conn, run_id)
    if row is None:
        raise NotFound(f"no training run {run_id}")
    return dict(row)


# ---------------------------------------------------------------------------------------------------
# Promotion and rollback


def _primary(metrics: dict[str, Any]) -> float:
    return float(metrics[PRIMARY_METRIC])


@dataclass
class Promotion:
    version: str
    previous: str
    forced: bool
    candidate_score: float | None
    active_score: float | None


async def promote(pool: asyncpg.Pool, version: str, *, encoder_id: str, force: bool = False) -> Promotion:
    """Make `version` the active model, unless it ranks worse than the active one on its held-out period
    (nDCG@10, measured now on the same rows for both); `force` promotes anyway. Either way it is logged."""
    async with pool.acquire() as conn:
        row = await repository.get_version(conn, version)
        if row is None:
            raise NotFound(f"no model version '{version}' (see `brobygger model list`)")
        if row["active"]:
            raise Conflict(f"model {version} is already the active model")
        candidate = await load_version(conn, version)
        active = await active_scorer(conn)
    candidate_score = active_score = None
    try:
        comparison = await compare(pool, candidate, encoder_id=encoder_id, held_out_from=row["held_out_from"],
                                   jobcentre_code=row["jobcentre_code"], active=active)
        candidate_score = _primary(comparison[f"{CANDIDATE} ({version})"])
        active_score = _primary(comparison[f"active ({active.version})"])
    except training.InsufficientHistory as error:
        if not force:
            raise PromotionRefused(f"cannot compare {version} with the active model: {error.detail} "
                                   "Use --force to promote without the comparison.") from error
    if candidate_score is not None and active_score is not None and candidate_score < active_score and not force:
        raise PromotionRefused(
            f"model {version} ranks worse than the active model {active.version} on the held-out period from "
            f"{row['held_out_from']}: nDCG@10 {candidate_score:.4f} < {active_score:.4f}. The active model is kept; "
            "use --force to promote it anyway.")
    async with pool.acquire() as conn, conn.transaction():
        await repository.lock_registry(conn)
        current = await repository.active_version(conn)
        previous = current["version"] if current is not None else DEFAULT_VERSION_ALIAS
        compared_with = DEFAULT_VERSION_ALIAS if active is default_scorer() else active.version
        if previous != compared_with:
            raise Conflict(f"the active model changed to {previous} while {version} was being evaluated; "
                           "run the promotion again")
        await repository.activate(conn, version)
        await repository.add_event(conn, version=version, action="promoted", previous_version=previous, forced=force,
                                   detail={"candidate_ndcg_at_10": candidate_score,
                                           "active_ndcg_at_10": active_score, "active_version": active.version})
    return Promotion(version, previous, force, candidate_score, active_score)


async def rollback(pool: asyncpg.Pool, version: str) -> str:
    """Make an earlier registered version active again (`default`: none, so the packaged default model
    serves). Returns the version that was active before."""
    async with pool.acquire() as conn, conn.transaction():
        await repository.lock_registry(conn)
        current = await repository.active_version(conn)
        previous = current["version"] if current is not None else DEFAULT_VERSION_ALIAS
        if version == previous:
            raise Conflict(f"{version} is already what serves")
        if version != DEFAULT_VERSION_ALIAS:
            await load_version(conn, version)  # exists, and its artefact still verifies
        await repository.activate(conn, None if version == DEFAULT_VERSION_ALIAS else version)
        await repository.add_event(conn, version=version, action="rolled_back", previous_version=previous)
    return previous


# ---------------------------------------------------------------------------------------------------
# Fairness audit


async def audit(pool: asyncpg.Pool, *, encoder_id: str, attributes: dict[tuple[int, str], dict[str, str]],
                version: str | None = None, jobcentre_code: int | None = None,
                today: dt.date | None = None) -> fairness.AuditReport:
    """Exposure and predicted success by group for the active model (or `version`) over every eligible
    pair of active citizens and open placements today. `attributes` (from an audit attributes file) are
    joined to citizens by jobcentre and reference after scoring; they never reach the model."""
    day = today or dt.date.today()
    async with pool.acquire() as conn:
        scorer: Scorer = await load_version(conn, version) if version else await active_scorer(conn)
        citizen_ids = await repository.active_citizen_ids(conn, jobcentre_code)
        opening_ids, employer_ids = await repository.open_placement_ids(conn, day)
        by_id, by_key = await load_profiles(conn, profile_engine(encoder_id, day), citizen_ids, opening_ids,
                                            employer_ids)
        recorded = {row["id"]: row for row in await repository.citizen_groups(conn, list(by_id))}
        places = await repository.employer_capacities(conn, sorted({key[0] for key in by_key}, key=str))
    citizens = [by_id[key] for key in sorted(by_id, key=str)]
    placements = [by_key[key] for key in sorted(by_key, key=lambda key: (str(key[0]), str(key[1])))]
    pairs = await asyncio.to_thread(_scored_eligible_pairs, scorer, citizens, placements, day)
    report = fairness.AuditReport(version=scorer.version, citizens=len(set(pairs.citizens.tolist())),
                                  placements=len(set(pairs.placements.tolist())), pairs=len(pairs.scores))
    if not len(pairs.scores):
        return report
    groups: dict[str, list[str | None]] = {"age_band": [], "gender": [], "target_group": [], "kommune": []}
    for citizen in citizens:
        row = recorded[citizen.id]
        extra = attributes.get((row["jobcentre_code"], row["reference"]), {})
        groups["age_band"].append(extra.get("age_band"))
        groups["gender"].append(extra.get("gender"))
        groups["target_group"].append(row["target_group"])
        groups["kommune"].append(row["kommune"])
    for attribute, group_of in groups.items():
        if any(group_of):
            report.findings += fairness.citizen_findings(pairs, attribute, group_of)
    report.findings += fairness.employer_findings(
        pairs, [fairness.employer_size(places.get(placement.employer_id, 0)) for placement in placements],
        [str(placement.employer_id) for placement in placements])
    return report


def _scored_eligible_pairs(scorer: Scorer, citizens: list[CitizenProfile], placements: list[Placement],
                           today: dt.date) -> fairness.ScoredPairs:
    """Every eligible pair, scored (blocks of citizens keep the cross product's memory bounded)."""
    encoded = vectorised.encode_profiles(citizens, placements)
    block = max(1, 2_000_000 // max(len(placements), 1))
    found_citizens, found_placements = [], []
    every = np.arange(len(placements))
    for start in range(0, len(citizens), block):
        citizen_index = np.repeat(np.arange(start, min(start + block, len(citizens))), len(placements))
        placement_index = np.tile(every, min(block, len(citizens) - start))
        keep = vectorised.eligible(encoded, citizen_index, placement_index, today)
        found_citizens.append(citizen_index[keep])
        found_placements.append(placement_index[keep])
    citizen_index = np.concatenate(found_citizens) if found_citizens else np.zeros(0, dtype=np.int64)
    placement_index = np.concatenate(found_placements) if found_placements else np.zeros(0, dtype=np.int64)
    schemes = vectorised.choose_schemes(encoded, citizen_index, placement_index)
    features = vectorised.pair_features(encoded, citizen_index, placement_index, schemes, today)
    scores = scorer.score(features) if len(features) else np.zeros(0)
    return fairness.ScoredPairs(citizen_index, placement_index, np.asarray(scores, dtype=np.float64))
