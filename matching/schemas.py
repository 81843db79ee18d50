"""Edge schemas for matching: ranked placements for a citizen, candidates for an opening, feedback."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from core.schemas import LongText, StrictModel
from core.vocab import Scheme

MAX_LIMIT = 100


class SuggestionState(StrEnum):
    PROPOSED = "proposed"
    CONTACTED = "contacted"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class DeclineReason(StrEnum):
    LIMITATION_CONFLICT = "limitation_conflict"
    TOO_FAR = "too_far"
    HOURS_MISMATCH = "hours_mismatch"
    SKILLS_MISMATCH = "skills_mismatch"
    CITIZEN_NOT_INTERESTED = "citizen_not_interested"
    EMPLOYER_DECLINED = "employer_declined"
    TIMING = "timing"
    OTHER = "other"


class AcceptReason(StrEnum):
    SKILLS_MATCH = "skills_match"
    MATCHES_WISHES = "matches_wishes"
    CLOSE_TO_HOME = "close_to_home"
    SUPPORTIVE_EMPLOYER = "supportive_employer"
    TRY_OUT = "try_out"


class Reason(BaseModel):
    code: str
    text: str
    contribution: float = Field(description="What this reason added to the score, against a typical pair.")


class Caveat(BaseModel):
    code: str
    text: str


class OpeningRef(BaseModel):
    id: uuid.UUID
    title: str


class EmployerRef(BaseModel):
    id: uuid.UUID
    name: str
    city: str


class CitizenRef(BaseModel):
    id: uuid.UUID
    reference: str
    consultant_id: uuid.UUID | None


class RankedItem(BaseModel):
    """One ranked placement: a citizen with an opening, or with an employer open to a scheme."""

    suggestion_id: uuid.UUID
    rank: int
    score: float
    citizen: CitizenRef | None = Field(None, description="Set on candidates for an opening.")
    opening: OpeningRef | None = Field(None, description="Null for an employer open to a scheme without an opening.")
    employer: EmployerRef
    scheme: Scheme
    commute_km: float
    explanation: str = Field(description="A short paragraph for the consultant: why it fits, what to watch.")
    reasons: list[Reason]
    warnings: list[Caveat]
    state: SuggestionState = Field(description="Where the consultant is with this suggestion.")
    scorer_version: str


class ExcludedItem(BaseModel):
    """A placement (or citizen) that was considered but breaks a hard rule."""

    citizen: CitizenRef | None = None
    opening: OpeningRef | None = None
    employer: EmployerRef
    commute_km: float
    exclusions: list[Caveat]


class RankedList(BaseModel):
    items: list[RankedItem]
    excluded: list[ExcludedItem] | None = Field(
        None, description="With include_excluded=true: relevant pairs that broke a rule, with the rule's code.")
    warnings: list[Caveat] = Field(default_factory=list, description="About the request as a whole.")
    scorer_version: str
    considered: int = Field(description="Pairs evaluated before ranking.")
    retrieval: Literal["exact", "approximate"] = Field(
        description="exact: every coarse-eligible pair was scored; approximate: nearest by text and taxonomy.")
    generated_at: dt.datetime


class FeedbackCreate(StrictModel):
    state: Literal["contacted", "accepted", "declined"]
    reason_code: DeclineReason | AcceptReason | None = Field(
        None, description="Required when declining (a decline reason); optional when accepting.")
    note: LongText | None = Field(None, max_length=2000, description="Free text for colleagues; no CPR numbers.")


class FeedbackEvent(BaseModel):
    from_state: SuggestionState
    to_state: SuggestionState
    reason_code: str | None
    note: str | None
    at: dt.datetime


class Suggestion(BaseModel):
    """A stored suggestion with the snapshot it was shown with and its feedback history."""

    id: uuid.UUID
    citizen_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID | None
    scheme: Scheme
    origin: str
    score: float | None
    commute_km: float | None
    features: dict[str, float | None] = Field(description="The pair's features (null: unknown, e.g. no vector yet).")
    reasons: list[Reason]
    warnings: list[Caveat]
    scorer_version: str
    state: SuggestionState
    reason_code: str | None
    note: str | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    events: list[FeedbackEvent]
