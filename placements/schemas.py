"""Edge schemas for placements (API bodies) and for the imported history (decisions and placements).

A placement records that a citizen started with an employer under a scheme, and how it ended.
"""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, computed_field, model_validator

from core.schemas import ExternalRef, StrictModel
from core.validation import looks_like_cpr
from core.vocab import Scheme
from matching.schemas import AcceptReason, DeclineReason


class Outcome(StrEnum):
    """How a placement ended. Successes: completed, hired, extended; failures: dropped_out, cancelled."""

    COMPLETED = "completed"  # gennemført
    HIRED = "hired"  # ansat
    EXTENDED = "extended"  # forlænget: not final, ends later with another outcome
    DROPPED_OUT = "dropped_out"  # afbrudt undervejs
    CANCELLED = "cancelled"  # aflyst før start


SUCCESSFUL_OUTCOMES = frozenset({Outcome.COMPLETED, Outcome.HIRED, Outcome.EXTENDED})

# Which outcome may follow which; None is an open placement. Outcomes not listed as keys are final.
# Migration 0004 enforces the same rule with a trigger.
OUTCOME_TRANSITIONS: dict[Outcome | None, frozenset[Outcome]] = {
    None: frozenset(Outcome),
    Outcome.EXTENDED: frozenset({Outcome.COMPLETED, Outcome.HIRED, Outcome.DROPPED_OUT, Outcome.CANCELLED}),
}


class Decision(StrEnum):
    """A consultant's decision on a suggested pair, as recorded in the imported history."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


def _plain_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if looks_like_cpr(value):
        raise ValueError("must not contain a CPR number or anything shaped like one")
    return value


# The table's CHECK allows 2000 characters (less than core.schemas.LongText).
OutcomeReason = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_plain_text)]
JobcentreCode = Annotated[int, Field(ge=100, le=999, description="Kommune code of the citizen's jobcentre.")]


def check_dates_and_outcome(start_date: dt.date, end_date: dt.date | None, outcome: Outcome | None) -> None:
    """The rules every stored placement obeys (the table's CHECK constraints say the same)."""
    if end_date is not None and end_date < start_date:
        raise ValueError("end_date: must not be before start_date")
    if outcome is not None and outcome is not Outcome.EXTENDED and end_date is None:
        raise ValueError(f"end_date: required when the outcome is '{outcome.value}'")


class PlacementCreate(StrictModel):
    """A citizen starting with an employer, through one of its openings or straight with the employer."""

    citizen_id: uuid.UUID = Field(description="A citizen of the caller's jobcentre.")
    employer_id: uuid.UUID
    opening_id: uuid.UUID | None = Field(
        None, description="The employer's opening the placement is in; null for a placement straight with the "
                          "employer (typically virksomhedspraktik).")
    scheme: Scheme = Field(description="Must be allowed for the citizen's target group and, with an opening, "
                                       "be one of the opening's schemes.")
    start_date: dt.date
    suggestion_id: uuid.UUID | None = Field(
        None, description="The suggestion that led to the placement: for the same citizen, employer and "
                          "opening, not declined, and not already linked to another placement.")
    external_ref: ExternalRef | None = Field(None, description="Your own id for the placement; import key.")


class PlacementUpdate(StrictModel):
    """Fields to change; anything left out keeps its value."""

    end_date: dt.date | None = Field(None, description="Last day of the placement; not before start_date.")
    outcome: Outcome | None = Field(
        None, description="Set once when the placement ends; only `extended` may later change (to completed, "
                          "hired, dropped_out or cancelled). Every outcome but `extended` needs an end_date.")
    outcome_reason: OutcomeReason | None = Field(
        None, description="Why it ended so, in a few words; no personal data beyond what the case needs.")


SUCCESSFUL_DESCRIPTION = "Whether the outcome counts as a success (completed, hired, extended); null while running."


class Placement(BaseModel):
    id: uuid.UUID
    external_ref: str | None
    citizen_id: uuid.UUID
    jobcentre_code: int
    employer_id: uuid.UUID
    opening_id: uuid.UUID | None
    suggestion_id: uuid.UUID | None = Field(description="The suggestion that led to it, if any.")
    scheme: Scheme
    start_date: dt.date
    end_date: dt.date | None
    outcome: Outcome | None = Field(description="Null while the placement is running.")
    outcome_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @computed_field(description=SUCCESSFUL_DESCRIPTION)  # type: ignore[prop-decorator]  # pydantic's pattern
    @property
    def successful(self) -> bool | None:
        return None if self.outcome is None else self.outcome in SUCCESSFUL_OUTCOMES


class HistoryRow(StrictModel):
    """What decision and placement rows of the demo history share: the pair, named by references."""

    external_ref: ExternalRef
    citizen_ref: ExternalRef = Field(description="The citizen's reference in their jobcentre.")
    jobcentre_code: JobcentreCode
    employer_ref: ExternalRef = Field(description="The employer's external_ref.")
    opening_ref: ExternalRef | None = Field(None, description="The opening's external_ref; null for none.")
    scheme: Scheme


class DecisionImport(HistoryRow):
    """A row of `decisions.jsonl`: a consultant's decision on a suggested pair; stored as a suggestion."""

    decision: Decision
    reason_code: str | None = Field(
        None, description="A decline reason (required when declined) or an accept reason (optional), as in "
                          "matching's feedback.")
    decided_on: dt.date

    @model_validator(mode="after")
    def _reason_fits_decision(self) -> Self:
        if self.decision is Decision.DECLINED and self.reason_code not in set(DeclineReason):
            raise ValueError("reason_code: a declined pair needs one of " + ", ".join(DeclineReason))
        if self.decision is Decision.ACCEPTED and self.reason_code not in {*AcceptReason, None}:
            raise ValueError("reason_code: an accepted pair takes one of " + ", ".join(AcceptReason))
        return self


class PlacementImport(HistoryRow):
    """A row of `placements.jsonl`; `decision_ref` names the decision (suggestion) it followed."""

    decision_ref: ExternalRef | None = None
    start_date: dt.date
    end_date: dt.date | None = None
    outcome: Outcome | None = None
    outcome_reason: OutcomeReason | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_dates_and_outcome(self.start_date, self.end_date, self.outcome)
        return self
