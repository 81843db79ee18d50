"""Weekly batch runs: request a run (unique per jobcentre and ISO week), carry it through its steps
(start → scoring shards → assignment → explaining shards → done) and read its report, suggestions and
CSV export; plus the per-jobcentre schedules and the supervisor that re-sends stalled steps.

Every step is idempotent and carries only ids: a step of an older attempt, or one whose work is done,
returns without writing; a shard writes its results and marks itself done in one transaction, so a
retried or duplicated shard never loses or duplicates rows. A step returns the steps that follow it;
the caller sends them only after the step's transaction committed.
"""

import asyncio
import datetime as dt
import inspect
import itertools
import logging
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import asyncpg
import numpy as np

from audit import repository as audit
from batch import assignment, export, repository
from batch.candidates import PlacementIndex, build_index, great_circle_matrix, placement_key, score_citizens
from batch.schemas import (
    MAX_WEEKS_AHEAD,
    MAX_WEEKS_BACK,
    BatchEmployer,
    BatchOpening,
    BatchRun,
    BatchRunCreate,
    BatchSuggestion,
    PolicyReport,
    Progress,
    RunOrigin,
    RunStage,
    RunState,
    RunSummary,
    Schedule,
    ScheduleUpdate,
    Timings,
    Weekday,
)
from core import memory
from core.cache import Cache
from core.db import transaction
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.pagination import encode_cursor
from core.schemas import Page
from core.vocab import Role, Scheme
from embeddings import repository as embeddings_repository
from matching import explain
from matching import repository as matching_repository
from matching.schemas import Caveat, Reason
from matching.service import Engine, facts_for, load_profiles
from scoring import service as scoring
from scoring.base import Scorer
from taxonomy import snapshot as taxonomy_snapshot
from taxonomy.encoders import encoder_id
from users.schemas import Principal

logger = logging.getLogger(__name__)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
DEFAULT_SHARD_SIZE = 500
# A shard started this many times without finishing (its worker died each time) fails the run.
MAX_CLAIMS = 4
# A running run re-sent this many times by the supervisor without any progress fails.
MAX_RESENDS = 5
STALE_AFTER = dt.timedelta(minutes=5)
# Candidates kept per citizen for the assignment: room to move away from a crowded placement.
MIN_CANDIDATES = 12
CANDIDATES_PER_SUGGESTION = 4
MAX_ERROR_LENGTH = 500

NO_CITIZENS = "The jobcentre has no active citizens: nothing to suggest."
NO_PLACEMENTS = "No open placement is within reach of the jobcentre's citizens: nothing to suggest."
NO_CANDIDATES = "No citizen has an eligible placement with room left this week: nothing to suggest."


@dataclass(frozen=True)
class Step:
    """One unit of a run's work, as its job carries it."""

    kind: Literal["start", "shard", "assign"]
    run_id: uuid.UUID
    attempt: int
    stage: str | None = None
    shard_no: int | None = None

    def describe(self) -> str:
        if self.kind == "shard":
            return f"{self.stage} shard {self.shard_no}"
        return self.kind


# ---------------------------------------------------------------------------------------------------
# Weeks


def parse_week(text: str) -> dt.date:
    """The Monday of an ISO week written like 2026-W48."""
    try:
        year, week = int(text[:4]), int(text[6:])
        if text[4:6] != "-W":
            raise ValueError(text)
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise InvalidInput("week", f"'{text}' is not an ISO week of the form 2026-W48 that exists") from error


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def today_in_copenhagen() -> dt.date:
    return dt.datetime.now(COPENHAGEN).date()


def check_week(text: str, today: dt.date) -> str:
    """The week, if a run may be requested for it today: not more than MAX_WEEKS_BACK weeks back, nor
    more than MAX_WEEKS_AHEAD ahead."""
    monday = parse_week(text)
    this_monday = today - dt.timedelta(days=today.weekday())
    weeks = (monday - this_monday).days // 7
    if weeks < -MAX_WEEKS_BACK:
        raise InvalidInput("week", f"{text} is {-weeks} weeks ago; runs go back at most {MAX_WEEKS_BACK} weeks "
                                   f"(this is {week_of(today)})")
    if weeks > MAX_WEEKS_AHEAD:
        raise InvalidInput("week", f"{text} is {weeks} weeks ahead; runs go at most {MAX_WEEKS_AHEAD} weeks ahead "
                                   f"(this is {week_of(today)})")
    return week_of(monday)


def next_occurrence(weekday: int, at: dt.time, now: dt.datetime) -> dt.datetime:
    """The next time (Copenhagen) a weekly schedule fires after `now`."""
    local = now.astimezone(COPENHAGEN)
    days = (weekday - local.isoweekday()) % 7
    candidate = dt.datetime.combine(local.date() + dt.timedelta(days=days), at, tzinfo=COPENHAGEN)
    return candidate if candidate > local else candidate + dt.timedelta(days=7)


# ---------------------------------------------------------------------------------------------------
# Who may do what


def _require_admin_of(principal: Principal, jobcentre_code: int) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.JOBCENTRE_ADMIN:
        raise Forbidden("only a jobcentre admin (or an admin) can start batch runs and change their schedule")
    if principal.jobcentre_code != jobcentre_code:
        raise Forbidden(f"you are an admin of jobcentre {principal.jobcentre_code}, not of {jobcentre_code}")


def _require_reader_of(principal: Principal, jobcentre_code: int, run_id: uuid.UUID) -> None:
    if principal.role is Role.ADMIN:
        return
    if not principal.is_jobcentre_staff:
        raise Forbidden("only jobcentre staff can see batch runs")
    if principal.jobcentre_code != jobcentre_code:
        raise NotFound(f"no batch run {run_id}")


# ---------------------------------------------------------------------------------------------------
# Requesting a run


async def request_run(conn: asyncpg.Connection, principal: Principal, body: BatchRunCreate, *, today: dt.date,
                      origin: RunOrigin = RunOrigin.API,
                      shard_size: int = DEFAULT_SHARD_SIZE) -> tuple[BatchRun, list[Step]]:
    """The run for the jobcentre and week: a new queued one, the existing one unchanged (no `force`), or
    the existing one started again as a new attempt (`force`, once it has finished)."""
    if not await repository.jobcentre_exists(conn, body.jobcentre):
        raise InvalidInput("jobcentre", f"no jobcentre with kommune code {body.jobcentre}")
    _require_admin_of(principal, body.jobcentre)
    week = check_week(body.week, today)
    requested_by = None if principal.user_id.int == 0 else principal.user_id
    row = await repository.insert_run(conn, jobcentre_code=body.jobcentre, iso_week=week, k=body.k, c=body.c,
                                      shard_size=shard_size, reference_date=today, origin=origin.value,
                                      requested_by=requested_by)
    if row is not None:
        return run_model(row), [Step("start", row["id"], row["attempt"])]
    existing = await repository.get_run_for_week(conn, body.jobcentre, week, lock=True)
    assert existing is not None
    if not body.force:
        return run_model(existing, reused=True), []
    if existing["state"] in (RunState.QUEUED, RunState.RUNNING):
        raise Conflict(f"the run for {week} is {existing['state']}; wait until it is done or failed before "
                       "forcing a new one")
    row = await repository.requeue_run(conn, existing["id"], k=body.k, c=body.c, shard_size=shard_size,
                                       reference_date=today, origin=origin.value, requested_by=requested_by)
    return run_model(row), [Step("start", row["id"], row["attempt"])]


async def scheduled_run(conn: asyncpg.Connection, jobcentre_code: int, now: dt.datetime) -> list[Step]:
    """What a schedule firing does: the week's run with the schedule's options, unless one exists."""
    schedule = await repository.get_schedule(conn, jobcentre_code)
    if schedule is None or not schedule["enabled"]:
        return []
    today = now.astimezone(COPENHAGEN).date()
    row = await repository.insert_run(conn, jobcentre_code=jobcentre_code, iso_week=week_of(today),
                                      k=schedule["k"], c=schedule["c"], shard_size=DEFAULT_SHARD_SIZE,
                                      reference_date=today, origin=RunOrigin.SCHEDULE.value, requested_by=None)
    return [] if row is None else [Step("start", row["id"], row["attempt"])]


# ---------------------------------------------------------------------------------------------------
# The engine a run scores with


async def _active_scorer(conn: asyncpg.Connection) -> Scorer:
    """The active scorer, however scoring.service offers it (plain, with a connection, or awaitable)."""
    provider = cast(Callable[..., Any], scoring.active_scorer)
    found = provider(conn) if inspect.signature(provider).parameters else provider()
    if inspect.isawaitable(found):
        found = await found
    return cast(Scorer, found)


async def _engine(conn: asyncpg.Connection, encoder: str, today: dt.date) -> Engine:
    key = encoder_id(encoder)
    dims = await embeddings_repository.dimension(conn, key)
    return Engine(encoder_id=key, dims=dims, scorer=await _active_scorer(conn), cache=Cache(None, ""), today=today)


_postcodes: list[tuple[str, float, float]] = []


async def _placement_ids(conn: asyncpg.Connection, jobcentre_code: int,
                         today: dt.date) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Open openings, and employers open to a scheme without one, within reach of any of the jobcentre's
    active citizens (by each postcode's longest accepted commute)."""
    if not _postcodes:
        _postcodes.extend((row["postcode"], row["latitude"], row["longitude"])
                          for row in await repository.postcode_points(conn))
    position = {code: number for number, (code, _, _) in enumerate(_postcodes)}
    reach = [row for row in await repository.citizen_reach(conn, jobcentre_code) if row["postcode"] in position]
    if not reach:
        return [], []
    latitudes = np.array([latitude for _, latitude, _ in _postcodes])
    longitudes = np.array([longitude for _, _, longitude in _postcodes])
    homes = np.array([position[row["postcode"]] for row in reach])
    km = great_circle_matrix(latitudes[homes], longitudes[homes], latitudes, longitudes)
    limits = np.array([row["max_commute_km"] + 1 for row in reach], dtype=np.float64)[:, None]
    postcodes = [_postcodes[number][0] for number in np.flatnonzero((km <= limits).any(axis=0))]
    schemes = [scheme.value for scheme in Scheme]
    openings = await matching_repository.opening_ids(conn, postcodes, today, schemes)
    employers = await matching_repository.employer_ids_without_openings(conn, postcodes, today, schemes)
    return openings, employers


# Placement indexes per (run, attempt), built once per worker process and reused by its later shards.
_indexes: "OrderedDict[tuple[uuid.UUID, int], PlacementIndex]" = OrderedDict()
_index_locks: dict[tuple[uuid.UUID, int], asyncio.Lock] = {}
KEEP_INDEXES = 2


async def _placement_index(conn: asyncpg.Connection, run: asyncpg.Record, engine: Engine) -> PlacementIndex:
    key = (run["id"], run["attempt"])
    lock = _index_locks.setdefault(key, asyncio.Lock())
    async with lock:
        if key in _indexes:
            _indexes.move_to_end(key)
            return _indexes[key]
        openings, employers = await _placement_ids(conn, run["jobcentre_code"], engine.today)
        _, placements = await load_profiles(conn, engine, [], openings, employers)
        index = await asyncio.to_thread(build_index, placements.values(), engine.dims)
        del placements
        memory.settle()  # the index lives as long as the run; dropping it later still frees it
        _indexes[key] = index
        while len(_indexes) > KEEP_INDEXES:
            dropped, _ = _indexes.popitem(last=False)
            _index_locks.pop(dropped, None)
        return index


# ---------------------------------------------------------------------------------------------------
# The steps


class StepFailed(Exception):
    """A step that cannot succeed however often it is retried; the run fails with this reason."""


def describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:MAX_ERROR_LENGTH]


def _current(run: asyncpg.Record | None, attempt: int, state: str, stage: str | None = None) -> bool:
    return (run is not None and run["attempt"] == attempt and run["state"] == state
            and (stage is None or run["stage"] == stage))


async def execute(pool: asyncpg.Pool, step: Step, *, encoder: str, worker: str) -> list[Step]:
    """Carry out one step; returns the steps to send once it has committed."""
    if step.kind == "start":
        return await _start(pool, step, encoder)
    if step.kind == "assign":
        return await _assign(pool, step)
    return await _shard(pool, step, encoder, worker)


async def fail_step(pool: asyncpg.Pool, step: Step, reason: str) -> None:
    """The step failed for good: mark its shard and the run failed with the reason."""
    async with transaction(pool) as conn:
        run = await repository.get_run(conn, step.run_id, lock=True)
        if run is None or run["attempt"] != step.attempt or run["state"] not in ("queued", "running"):
            return
        if step.kind == "shard" and step.stage is not None and step.shard_no is not None:
            await repository.fail_shard(conn, step.run_id, step.stage, step.shard_no, reason)
        await repository.fail_run(conn, step.run_id, f"{step.describe()} failed: {reason}")


async def _finish_empty(conn: asyncpg.Connection, run: asyncpg.Record, scorer_version: str, citizens: int,
                        message: str) -> None:
    await repository.start_run(conn, run["id"], scorer_version=scorer_version, citizens_total=citizens,
                               steps_total=0)
    summary = RunSummary(message=message, citizens=citizens)
    await repository.finish_run(conn, run["id"], summary=summary.model_dump(mode="json"), message=message,
                                steps_total=0)


async def _start(pool: asyncpg.Pool, step: Step, encoder: str) -> list[Step]:
    async with transaction(pool) as conn:
        run = await repository.get_run(conn, step.run_id, lock=True)
        if run is None or not _current(run, step.attempt, "queued"):
            return []
        engine = await _engine(conn, encoder, run["reference_date"])
        citizen_ids = await repository.active_citizen_ids(conn, run["jobcentre_code"])
        if not citizen_ids:
            await _finish_empty(conn, run, engine.scorer.version, 0, NO_CITIZENS)
            return []
        openings, employers = await _placement_ids(conn, run["jobcentre_code"], engine.today)
        if not openings and not employers:
            await _finish_empty(conn, run, engine.scorer.version, len(citizen_ids), NO_PLACEMENTS)
            return []
        size = run["shard_size"]
        chunks = [citizen_ids[start:start + size] for start in range(0, len(citizen_ids), size)]
        await repository.insert_shards(conn, run["id"], RunStage.SCORING.value, chunks)
        # Scoring shards, the assignment, and as many explaining shards as scoring ones.
        await repository.start_run(conn, run["id"], scorer_version=engine.scorer.version,
                                   citizens_total=len(citizen_ids), steps_total=2 * len(chunks) + 1)
    return [Step("shard", step.run_id, step.attempt, RunStage.SCORING.value, number) for number in range(len(chunks))]


async def _shard(pool: asyncpg.Pool, step: Step, encoder: str, worker: str) -> list[Step]:
    assert step.stage is not None and step.shard_no is not None
    async with transaction(pool) as conn:
        run = await repository.get_run(conn, step.run_id)
        if run is None or not _current(run, step.attempt, "running", step.stage):
            return []
        shard = await repository.claim_shard(conn, step.run_id, step.stage, step.shard_no, worker)
        if shard is None:
            return []
    if shard["claims"] > MAX_CLAIMS:
        raise StepFailed(f"started {shard['claims'] - 1} times without finishing (its worker stopped each time)")
    citizen_ids: list[uuid.UUID] = list(shard["citizen_ids"])
    async with pool.acquire() as conn:
        engine = await _engine(conn, encoder, run["reference_date"])
        if engine.scorer.version != run["scorer_version"]:
            raise StepFailed(f"the active model changed during the run ({run['scorer_version']} → "
                             f"{engine.scorer.version}); start the run again with force")
        if step.stage == RunStage.SCORING:
            candidates = await _score(conn, run, engine, citizen_ids)
        else:
            explained = await _explain(conn, run, engine, citizen_ids)
    async with transaction(pool) as conn:
        run = await repository.get_run(conn, step.run_id, lock=True)
        if run is None or not _current(run, step.attempt, "running", step.stage):
            return []
        if not await repository.complete_shard(conn, step.run_id, step.stage, step.shard_no):
            return []  # a duplicate execution finished it first; its rows stand
        if step.stage == RunStage.SCORING:
            await repository.replace_candidates(conn, step.run_id, step.shard_no, candidates)
        else:
            await repository.set_explanations(conn, explained)
        await repository.advance(conn, step.run_id)
        if await repository.shards_not_done(conn, step.run_id, step.stage):
            return []
        if step.stage == RunStage.SCORING:
            await repository.set_stage(conn, step.run_id, RunStage.ASSIGNING.value)
            return [Step("assign", step.run_id, step.attempt)]
        missing = await repository.unexplained_suggestions(conn, step.run_id)
        if missing:
            await repository.fail_run(conn, step.run_id, f"{missing} suggestions were left without an explanation")
            return []
        await repository.finish_run(conn, step.run_id, summary=run["summary"], message=run["message"])
    return []


async def _score(conn: asyncpg.Connection, run: asyncpg.Record, engine: Engine,
                 citizen_ids: Sequence[uuid.UUID]) -> list[tuple[Any, ...]]:
    index = await _placement_index(conn, run, engine)
    citizens, _ = await load_profiles(conn, engine, citizen_ids, [], [])
    active = [citizens[citizen_id] for citizen_id in sorted(citizens, key=str) if citizens[citizen_id].active]
    keep = max(MIN_CANDIDATES, CANDIDATES_PER_SUGGESTION * run["k"])
    found = await asyncio.to_thread(score_citizens, active, index, engine.scorer, engine.today, keep)
    return [(item.citizen.id, item.placement.employer_id, item.placement.opening_id, item.scheme.value,
             item.score, item.placement.free_slots) for item in found]


async def _explain(conn: asyncpg.Connection, run: asyncpg.Record, engine: Engine,
                   citizen_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, float, str, list[Any], list[Any]]]:
    chosen = await repository.suggestions_of(conn, run["id"], citizen_ids)
    if not chosen:
        return []
    key = (run["id"], run["attempt"])
    cached = _indexes.get(key)
    keys = {(row["employer_id"], row["opening_id"]) for row in chosen}
    citizens, placements = await load_profiles(
        conn, engine, {row["citizen_id"] for row in chosen},
        [] if cached else {opening for _, opening in keys if opening is not None},
        [] if cached else {employer for employer, opening in keys if opening is None})
    if cached is not None:
        placements = {placement_key(found): found for pair in keys if (found := cached.get(pair)) is not None}
    taxonomy = await taxonomy_snapshot.current(conn)
    labels = explain.Labels(occupations=taxonomy.occupation_labels_da, isco_groups=taxonomy.isco_labels_da)

    def build() -> list[tuple[uuid.UUID, float, str, list[Any], list[Any]]]:
        pairs = [(row, citizens.get(row["citizen_id"]), placements.get((row["employer_id"], row["opening_id"])))
                 for row in chosen]
        missing = [row["id"] for row, citizen, placement in pairs if citizen is None or placement is None]
        if missing:
            raise StepFailed(f"{len(missing)} suggested citizens or placements were deleted during the run")
        facts = [facts_for(citizen, placement, Scheme(row["scheme"]), engine.today)
                 for row, citizen, placement in pairs if citizen is not None and placement is not None]
        contributions = engine.scorer.contributions(np.vstack([item.features for item in facts]))
        rows = []
        for (row, citizen, placement), pair_facts, pair_contributions in zip(pairs, facts, contributions,
                                                                               strict=True):
            assert citizen is not None and placement is not None
            text = explain.explain(citizen, placement, pair_facts, pair_contributions, labels, today=engine.today,
                                   lang="da")
            rows.append((row["id"], round(pair_facts.commute_km, 2), text.text, text.reasons, text.warnings))
        return rows

    return await asyncio.to_thread(build)


@dataclass(frozen=True)
class Assignment:
    suggestions: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, str, float, int]]
    ledger: list[tuple[uuid.UUID, uuid.UUID | None, int]]
    summary: RunSummary


def solve(candidates: Sequence[Any], used: dict[tuple[uuid.UUID, uuid.UUID | None], int], *, k: int,
          c: float) -> Assignment:
    """Choose up to k suggestions per citizen from the scored candidates so that no placement gets more
    than c × its free slots less what other runs of the week sent it, maximising the total score; and
    report the choice against plain per-citizen top-k."""
    citizens: dict[uuid.UUID, int] = {}
    placements: dict[tuple[uuid.UUID, uuid.UUID | None], int] = {}
    employers: dict[uuid.UUID, int] = {}
    free_slots: list[int] = []
    citizen_of, placement_of, scores = [], [], []
    for row in candidates:
        key = (row["employer_id"], row["opening_id"])
        if key not in placements:
            placements[key] = len(placements)
            free_slots.append(int(row["free_slots"]))
            employers.setdefault(row["employer_id"], len(employers))
        citizen_of.append(citizens.setdefault(row["citizen_id"], len(citizens)))
        placement_of.append(placements[key])
        scores.append(float(row["score"]))
    capacity = np.array([max(0, math.floor(c * slots + 1e-9) - used.get(key, 0))
                         for key, slots in zip(placements, free_slots, strict=True)], dtype=np.int64)
    instance = assignment.Instance(np.array(citizen_of, dtype=np.int64), np.array(placement_of, dtype=np.int64),
                                   np.array(scores, dtype=np.float64), capacity, k)
    employer_of = np.array([employers[employer] for employer, _ in placements], dtype=np.int64)
    started = time.perf_counter()
    chosen = assignment.assign(instance)
    seconds = time.perf_counter() - started
    plain = assignment.top_k(instance)
    rows = [row for row, take in zip(candidates, chosen, strict=True) if take]
    rows.sort(key=lambda row: (str(row["citizen_id"]), -row["score"], str(row["employer_id"]), str(row["opening_id"])))
    suggestions = []
    rank, previous = 0, None
    for row in rows:
        rank = rank + 1 if row["citizen_id"] == previous else 1
        previous = row["citizen_id"]
        suggestions.append((row["citizen_id"], row["employer_id"], row["opening_id"], row["scheme"],
                            float(row["score"]), rank))
    per_placement = np.bincount(instance.placement[chosen], minlength=len(placements))
    ledger = [(employer, opening, int(count)) for (employer, opening), count in zip(placements, per_placement,
                                                                                    strict=True) if count]
    summary = RunSummary(
        citizens_with_candidates=len(citizens), candidates=len(candidates),
        assigned=PolicyReport(**vars(assignment.metrics(instance, chosen, employer_of))),
        top_k=PolicyReport(**vars(assignment.metrics(instance, plain, employer_of))),
        solver=assignment.SOLVER_NAME, solver_seconds=round(seconds, 3))
    return Assignment(suggestions, ledger, summary)


async def _assign(pool: asyncpg.Pool, step: Step) -> list[Step]:
    async with transaction(pool) as conn:
        run = await repository.get_run(conn, step.run_id, lock=True)
        if run is None or not _current(run, step.attempt, "running", RunStage.ASSIGNING):
            return []
        await repository.lock_ledger(conn, run["iso_week"])
        candidates = await repository.run_candidates(conn, run["id"])
        used = {(row["employer_id"], row["opening_id"]): row["contacts"]
                for row in await repository.ledger_contacts(conn, run["iso_week"], run["id"])}
        result = await asyncio.to_thread(solve, candidates, used, k=run["k"], c=run["c"])
        summary = result.summary.model_copy(update={"citizens": run["citizens_total"]})
        await repository.replace_suggestions(conn, run["id"], run["scorer_version"], result.suggestions)
        await repository.replace_ledger(conn, run["id"], run["iso_week"], run["jobcentre_code"], result.ledger)
        await repository.advance(conn, run["id"])
        if not result.suggestions:
            summary = summary.model_copy(update={"message": NO_CANDIDATES})
            await repository.finish_run(conn, run["id"], summary=summary.model_dump(mode="json"),
                                        message=NO_CANDIDATES)
            return []
        chunks = await repository.shard_citizens(conn, run["id"], RunStage.SCORING.value)
        await repository.insert_shards(conn, run["id"], RunStage.EXPLAINING.value, chunks)
        await repository.set_summary(conn, run["id"], summary.model_dump(mode="json"))
        await repository.set_stage(conn, run["id"], RunStage.EXPLAINING.value)
    return [Step("shard", step.run_id, step.attempt, RunStage.EXPLAINING.value, number)
            for number in range(len(chunks))]


async def supervise(pool: asyncpg.Pool, stale_after: dt.timedelta = STALE_AFTER) -> list[Step]:
    """Steps to send again for runs that have not moved for `stale_after` (a worker died holding them, or
    the queue lost them); a running run re-sent MAX_RESENDS times without progress fails. Re-sending is
    safe: every step is idempotent."""
    steps: list[Step] = []
    async with transaction(pool) as conn:
        for run in await repository.stalled_runs(conn, stale_after):
            if run["state"] == "queued":
                unfinished = [Step("start", run["id"], run["attempt"])]
            elif run["stage"] == RunStage.ASSIGNING:
                unfinished = [Step("assign", run["id"], run["attempt"])]
            else:
                unfinished = [Step("shard", run["id"], run["attempt"], run["stage"], number)
                              for number in await repository.unfinished_shards(conn, run["id"], run["stage"])]
            if run["state"] == "running" and run["resends"] >= MAX_RESENDS:
                await repository.fail_run(conn, run["id"], (
                    f"no progress after {run['resends']} re-sends of its {run['stage']} steps "
                    f"({_unfinished_work(unfinished)}): are workers running (`brobygger worker`) and is Redis "
                    "reachable? Start the run again with force"))
                continue
            await repository.note_resend(conn, run["id"])
            steps += unfinished
    if steps:
        logger.warning("re-sending %d stalled batch steps", len(steps))
    return steps


def _unfinished_work(steps: Sequence[Step], shown: int = 10) -> str:
    """What a stalled running run still lacks, in words: 'scoring shards 0, 4, 7 unfinished'."""
    shards = [step.shard_no for step in steps if step.kind == "shard"]
    if not shards:
        return "the assignment unfinished" if steps else "no unfinished step left to send"
    numbers = ", ".join(str(number) for number in shards[:shown])
    more = f" and {len(shards) - shown} more" if len(shards) > shown else ""
    noun = "shard" if len(shards) == 1 else "shards"
    return f"{steps[0].stage} {noun} {numbers}{more} unfinished"


async def run_inline(pool: asyncpg.Pool, first: Step, *, encoder: str) -> None:
    """Carry a run through every step in this process (no worker), in order; a failing step fails the run."""
    pending = [first]
    while pending:
        step = pending.pop(0)
        try:
            pending += await execute(pool, step, encoder=encoder, worker="inline")
        except Exception as error:
            await fail_step(pool, step, describe(error))
            raise


# ---------------------------------------------------------------------------------------------------
# Reading runs and their suggestions


def _seconds_by_stage(timings: dict[str, Any]) -> dict[str, float]:
    """Seconds from each stage's start to the next mark (the next stage, done or failed)."""
    marks = sorted((dt.datetime.fromisoformat(value), name) for name, value in timings.items())
    return {name: round((end - start).total_seconds(), 3)
            for (start, name), (end, _) in itertools.pairwise(marks) if name in RunStage.__members__.values()}


def run_model(row: asyncpg.Record, *, reused: bool = False) -> BatchRun:
    return BatchRun(
        id=row["id"], jobcentre=row["jobcentre_code"], week=row["iso_week"], attempt=row["attempt"], k=row["k"],
        c=round(row["c"], 3), state=RunState(row["state"]), stage=row["stage"],
        progress=Progress(done=row["steps_done"], total=row["steps_total"]), origin=RunOrigin(row["origin"]),
        reference_date=row["reference_date"], scorer_version=row["scorer_version"], error=row["error"],
        message=row["message"],
        timings=Timings(queued_at=row["queued_at"], started_at=row["started_at"], finished_at=row["finished_at"],
                        seconds_by_stage=_seconds_by_stage(row["timings"])),
        summary=RunSummary.model_validate(row["summary"]) if row["state"] == "done" and row["summary"] else None,
        reused=reused)


async def _readable_run(conn: asyncpg.Connection, principal: Principal, run_id: uuid.UUID) -> asyncpg.Record:
    run = await repository.get_run(conn, run_id)
    if run is None:
        raise NotFound(f"no batch run {run_id}")
    _require_reader_of(principal, run["jobcentre_code"], run_id)
    return run


async def get_run(conn: asyncpg.Connection, principal: Principal, run_id: uuid.UUID) -> BatchRun:
    return run_model(await _readable_run(conn, principal, run_id))


async def list_runs(conn: asyncpg.Connection, principal: Principal, jobcentre_code: int, *,
                    limit: int = 20) -> list[BatchRun]:
    """The jobcentre's runs, the latest week first: for its staff and for admins."""
    if principal.role is not Role.ADMIN and (not principal.is_jobcentre_staff
                                             or principal.jobcentre_code != jobcentre_code):
        raise Forbidden("only staff of the jobcentre can see its batch runs")
    return [run_model(row) for row in await repository.list_runs(conn, jobcentre_code, limit)]


async def _done_run(conn: asyncpg.Connection, principal: Principal, run_id: uuid.UUID) -> asyncpg.Record:
    run = await _readable_run(conn, principal, run_id)
    if run["state"] != "done":
        detail = f": {run['error']}" if run["error"] else ""
        raise Conflict(f"the run is {run['state']} ({run['steps_done']}/{run['steps_total']} steps){detail}; "
                       "its suggestions are available once it is done")
    return run


def _suggestion(row: asyncpg.Record) -> BatchSuggestion:
    return BatchSuggestion(
        id=row["id"], citizen_id=row["citizen_id"], citizen_reference=row["citizen_reference"],
        consultant_id=row["consultant_id"], rank=row["rank"], score=round(row["score"], 6),
        employer=BatchEmployer(id=row["employer_id"], name=row["employer_name"], city=row["city"]),
        opening=None if row["opening_id"] is None else BatchOpening(id=row["opening_id"], title=row["opening_title"]),
        scheme=Scheme(row["scheme"]), commute_km=None if row["commute_km"] is None else round(row["commute_km"], 1),
        explanation=row["explanation"] or "", reasons=[Reason.model_validate(item) for item in row["reasons"] or []],
        warnings=[Caveat.model_validate(item) for item in row["warnings"] or []],
        scorer_version=row["scorer_version"])


async def list_suggestions(conn: asyncpg.Connection, principal: Principal, run_id: uuid.UUID, *,
                           consultant_id: uuid.UUID | None, after: uuid.UUID | None,
                           limit: int) -> Page[BatchSuggestion]:
    run = await _done_run(conn, principal, run_id)
    rows = await repository.list_suggestions(conn, run_id, consultant_id=consultant_id, after=after, limit=limit)
    items = [_suggestion(row) for row in rows[:limit]]
    await audit.record(conn, principal, "list", sorted({item.citizen_id for item in items}, key=str),
                       jobcentre_code=run["jobcentre_code"], detail={"batch_run_id": str(run_id)})
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def export_csv(conn: asyncpg.Connection, principal: Principal, run_id: uuid.UUID, *,
                     consultant_id: uuid.UUID | None, separator: export.Separator) -> tuple[str, str]:
    """(file name, CSV text) of the run's suggestions, per consultant, citizen and rank."""
    run = await _done_run(conn, principal, run_id)
    rows = await repository.export_suggestions(conn, run_id, consultant_id=consultant_id)
    await audit.record(conn, principal, "list", sorted({row["citizen_id"] for row in rows}, key=str),
                       jobcentre_code=run["jobcentre_code"], detail={"batch_run_id": str(run_id), "export": "csv"})
    name = f"brobygger-forslag-{run['jobcentre_code']}-{run['iso_week']}.csv"
    return name, export.render(rows, week=run["iso_week"], separator=separator)


# ---------------------------------------------------------------------------------------------------
# Schedules


def _schedule(row: asyncpg.Record, now: dt.datetime) -> Schedule:
    return Schedule(jobcentre=row["jobcentre_code"], weekday=list(Weekday)[row["weekday"] - 1], time=row["at_time"],
                    k=row["k"], c=round(row["c"], 3), enabled=row["enabled"],
                    next_run_at=next_occurrence(row["weekday"], row["at_time"], now) if row["enabled"] else None)


async def put_schedule(conn: asyncpg.Connection, principal: Principal, jobcentre_code: int, body: ScheduleUpdate,
                       now: dt.datetime) -> Schedule:
    if not await repository.jobcentre_exists(conn, jobcentre_code):
        raise NotFound(f"no jobcentre with kommune code {jobcentre_code}")
    _require_admin_of(principal, jobcentre_code)
    row = await repository.upsert_schedule(conn, jobcentre_code, weekday=body.weekday.iso,
                                           at_time=body.time.replace(second=0, microsecond=0, tzinfo=None),
                                           k=body.k, c=body.c, enabled=body.enabled)
    return _schedule(row, now)


async def get_schedule(conn: asyncpg.Connection, principal: Principal, jobcentre_code: int,
                       now: dt.datetime) -> Schedule:
    if principal.role is not Role.ADMIN and (not principal.is_jobcentre_staff
                                             or principal.jobcentre_code != jobcentre_code):
        raise Forbidden("only staff of the jobcentre can see its batch schedule")
    row = await repository.get_schedule(conn, jobcentre_code)
    if row is None:
        raise NotFound(f"jobcentre {jobcentre_code} has no batch schedule")
    return _schedule(row, now)


async def enabled_schedules(conn: asyncpg.Connection) -> list[Schedule]:
    now = dt.datetime.now(COPENHAGEN)
    return [_schedule(row, now) for row in await repository.enabled_schedules(conn)]
