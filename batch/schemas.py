"""Edge schemas for weekly batch runs: the request, a run's state and report, its suggestions, schedules."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from core.schemas import StrictModel
from core.vocab import Scheme
from matching.schemas import Caveat, Reason

MIN_K, MAX_K, DEFAULT_K = 1, 20, 3
MIN_C, MAX_C, DEFAULT_C = 1.0, 10.0, 3.0
# A run may be (re)started for a week at most this many weeks back, and this many ahead.
MAX_WEEKS_BACK = 4
MAX_WEEKS_AHEAD = 2

IsoWeek = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-W[0-9]{2}$")]
K = Annotated[int, Field(ge=MIN_K, le=MAX_K, description="Suggestions per citizen, at most.")]
C = Annotated[float, Field(ge=MIN_C, le=MAX_C, description=(
    "Suggestions per free slot an opening or employer may get in a week, across jobcentres."))]


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RunStage(StrEnum):
    SCORING = "scoring"
    ASSIGNING = "assigning"
    EXPLAINING = "explaining"


class RunOrigin(StrEnum):
    API = "api"
    CLI = "cli"
    SCHEDULE = "schedule"


class BatchRunCreate(StrictModel):
    jobcentre: int = Field(ge=100, le=999, description="Kommune code of the jobcentre, e.g. 101 (København).")
    week: IsoWeek = Field(description="ISO week, e.g. 2026-W48.")
    k: K = DEFAULT_K
    c: C = DEFAULT_C
    force: bool = Field(False, description="Run again even if this jobcentre already has a run for the week.")


class Progress(BaseModel):
    done: int
    total: int


class Timings(BaseModel):
    queued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    seconds_by_stage: dict[str, float] = Field(
        default_factory=dict, description="Wall-clock seconds per stage (scoring, assigning, explaining).")


class PolicyReport(BaseModel):
    """One way of choosing suggestions from the same scored candidates."""

    total_score: float
    suggestions: int
    citizens_with_suggestion: int
    max_per_employer: int
    gini_per_employer: float = Field(description="Gini coefficient of suggestions per employer (0 = even).")
    placements_over_capacity: int = Field(description="Openings or employers given more than c × free slots.")


class RunSummary(BaseModel):
    message: str | None = None
    citizens: int = 0
    citizens_with_candidates: int = 0
    candidates: int = 0
    assigned: PolicyReport | None = Field(None, description="The capacity-aware assignment that was stored.")
    top_k: PolicyReport | None = Field(None, description="Plain per-citizen top-k on the same candidates.")
    solver: str | None = None
    solver_seconds: float | None = None


class BatchRun(BaseModel):
    id: uuid.UUID
    jobcentre: int
    week: str
    attempt: int
    k: int
    c: float
    state: RunState
    stage: RunStage | None
    progress: Progress
    origin: RunOrigin
    reference_date: dt.date = Field(description="The date the run matched as of (eligibility, freshness).")
    scorer_version: str | None
    error: str | None = Field(None, description="Why the run failed.")
    message: str | None = Field(None, description="A note about the result, e.g. why it is empty.")
    timings: Timings
    summary: RunSummary | None = Field(None, description="Set when the run is done.")
    reused: bool = Field(False, description="True when an existing run was returned instead of starting one.")


class BatchOpening(BaseModel):
    id: uuid.UUID
    title: str


class BatchEmployer(BaseModel):
    id: uuid.UUID
    name: str
    city: str


class BatchSuggestion(BaseModel):
    id: uuid.UUID
    citizen_id: uuid.UUID
    citizen_reference: str
    consultant_id: uuid.UUID | None
    rank: int
    score: float
    employer: BatchEmployer
    opening: BatchOpening | None
    scheme: Scheme
    commute_km: float | None
    explanation: str
    reasons: list[Reason]
    warnings: list[Caveat]
    scorer_version: str


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def iso(self) -> int:
        return list(Weekday).index(self) + 1


class ScheduleUpdate(StrictModel):
    weekday: Weekday = Field(description="Day of the week the run starts (Copenhagen time).")
    time: dt.time = Field(description="Time of day the run starts, e.g. 06:00.")
    k: K = DEFAULT_K
    c: C = DEFAULT_C
    enabled: bool = True


class Schedule(BaseModel):
    jobcentre: int
    weekday: Weekday
    time: dt.time
    k: int
    c: float
    enabled: bool
    next_run_at: dt.datetime | None = Field(None, description="When the next run will start, if enabled.")
