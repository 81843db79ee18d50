"""Placements: scoped to the citizen's jobcentre, outcomes that only move forward, every access audited.

Also the import of the decision and placement history (decisions are stored as suggestions with origin
'import'). No HTTP here.
"""

import datetime as dt
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from audit import repository as audit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.pagination import encode_cursor
from core.schemas import Page
from core.vocab import SCHEMES_BY_TARGET_GROUP, Scheme, TargetGroup
from employers import repository as employers
from placements import repository
from placements.schemas import (
    OUTCOME_TRANSITIONS,
    DecisionImport,
    Outcome,
    Placement,
    PlacementCreate,
    PlacementImport,
    PlacementUpdate,
    check_dates_and_outcome,
)
from taxonomy.normaliser import Normaliser
from users import repository as users
from users.schemas import Principal

T = TypeVar("T")

# Unique constraints a placement or suggestion write can hit, as (field, message) for the 409.
_UNIQUE_CONFLICTS = {
    "placements_suggestion_idx": ("suggestion_id", "the suggestion already led to another placement"),
    "placements_external_ref_key": ("external_ref", "already used by another placement"),
    "suggestions_external_ref_key": ("external_ref", "already used by another suggestion"),
    "suggestions_pair_idx": ("external_ref", "another suggestion already exists for this citizen, employer, "
                                             "opening and scheme"),
}


@dataclass(frozen=True)
class _FieldNames:
    """How a row names what it refers to: ids on the API, references in import files."""

    employer: str
    opening: str
    suggestion: str


_API_FIELDS = _FieldNames(employer="employer_id", opening="opening_id", suggestion="suggestion_id")
_IMPORT_FIELDS = _FieldNames(employer="employer_ref", opening="opening_ref", suggestion="decision_ref")


def _jobcentre_of(principal: Principal) -> int:
    """Only jobcentre staff work with placements, and only with their own jobcentre's citizens'."""
    if not principal.is_jobcentre_staff or principal.jobcentre_code is None:
        raise Forbidden("only consultants and jobcentre admins have access to placements")
    return principal.jobcentre_code


async def _unique(conn: asyncpg.Connection, statement: Awaitable[T], *,
                  suggestion_field: str = "suggestion_id") -> T:
    """Run a write in a savepoint; a unique violation becomes a 409 naming the field (import rows name the
    suggestion `decision_ref`)."""
    try:
        async with conn.transaction():
            return await statement
    except asyncpg.UniqueViolationError as error:
        field, message = _UNIQUE_CONFLICTS.get(error.constraint_name or "", ("external_ref", "already used"))
        field = suggestion_field if field == "suggestion_id" else field
        raise Conflict(f"{field}: {message}", fields=[{"field": field, "message": message}]) from error


def _from_row(row: asyncpg.Record) -> Placement:
    return Placement.model_validate(dict(row))


async def _check_pair(conn: asyncpg.Connection, *, citizen: asyncpg.Record, employer_id: uuid.UUID,
                      opening_id: uuid.UUID | None, scheme: Scheme, suggestion_id: uuid.UUID | None,
                      names: _FieldNames) -> None:
    """The placement's employer, opening, scheme and suggestion fit the citizen and each other."""
    if not await repository.employer_exists(conn, employer_id):
        raise InvalidInput(names.employer, f"no employer {employer_id}")
    allowed = SCHEMES_BY_TARGET_GROUP[TargetGroup(citizen["target_group"])]
    if scheme not in allowed:
        raise InvalidInput("scheme", f"target group '{citizen['target_group']}' may not use '{scheme.value}'")
    if opening_id is not None:
        opening = await repository.get_opening(conn, opening_id)
        if opening is None:
            raise InvalidInput(names.opening, f"no opening {opening_id}")
        if opening["employer_id"] != employer_id:
            raise InvalidInput(names.opening, "the opening belongs to another employer")
        if scheme not in opening["schemes"]:
            raise InvalidInput("scheme", f"the opening does not offer '{scheme.value}' "
                                         f"(it offers {', '.join(opening['schemes'])})")
    if suggestion_id is not None:
        suggestion = await repository.get_suggestion(conn, suggestion_id)
        # One message for unknown and mismatched: a suggestion of another jobcentre's citizen stays invisible.
        if suggestion is None or (suggestion["citizen_id"], suggestion["employer_id"], suggestion["opening_id"]) \
                != (citizen["id"], employer_id, opening_id):
            raise InvalidInput(names.suggestion, "not a suggestion for this citizen, employer and opening")
        if suggestion["state"] == "declined":
            raise InvalidInput(names.suggestion, "the suggestion was declined")


def _check_outcome_change(current: Outcome | None, new: Outcome | None) -> None:
    """Open → any outcome; extended → completed, hired, dropped_out or cancelled; the rest is final."""
    if new == current:
        return
    allowed = OUTCOME_TRANSITIONS.get(current, frozenset())
    if new in allowed:
        return
    if not allowed:
        message = f"the placement already ended as '{current}'; that outcome is final"
    else:
        message = (f"an extended placement can end as {', '.join(sorted(allowed))}, "
                   f"not {'no outcome' if new is None else repr(new.value)}")
    raise Conflict(f"outcome: {message}", fields=[{"field": "outcome", "message": message}])


def _check_extension_end(current_outcome: Outcome | None, current_end: dt.date | None,
                         new_outcome: Outcome | None, new_end: dt.date | None) -> None:
    """Closing an extension: the placement ends no earlier than the end date it was extended from."""
    if current_outcome is Outcome.EXTENDED and new_outcome not in (None, Outcome.EXTENDED) \
            and current_end is not None and new_end is not None and new_end < current_end:
        raise InvalidInput("end_date", f"an extended placement ends no earlier than {current_end.isoformat()}")


async def create(conn: asyncpg.Connection, principal: Principal, data: PlacementCreate) -> Placement:
    jobcentre_code = _jobcentre_of(principal)
    citizen = await repository.citizen_in_jobcentre(conn, data.citizen_id, jobcentre_code)
    if citizen is None:
        raise NotFound(f"no citizen {data.citizen_id}")
    await _check_pair(conn, citizen=citizen, employer_id=data.employer_id, opening_id=data.opening_id,
                      scheme=data.scheme, suggestion_id=data.suggestion_id, names=_API_FIELDS)
    values: dict[str, Any] = {
        "external_ref": data.external_ref, "citizen_id": data.citizen_id, "jobcentre_code": jobcentre_code,
        "employer_id": data.employer_id, "opening_id": data.opening_id, "suggestion_id": data.suggestion_id,
        "scheme": data.scheme.value, "start_date": data.start_date, "end_date": None, "outcome": None,
        "outcome_reason": None,
    }
    placement_id = await _unique(conn, repository.insert(conn, values))
    await audit.record(conn, principal, "placement", [data.citizen_id], jobcentre_code=jobcentre_code,
                       detail={"operation": "create"})
    return await _get(conn, placement_id, jobcentre_code)


async def _get(conn: asyncpg.Connection, placement_id: uuid.UUID, jobcentre_code: int, *,
               for_update: bool = False) -> Placement:
    row = await repository.get(conn, placement_id, jobcentre_code, for_update=for_update)
    if row is None:
        raise NotFound(f"no placement {placement_id}")
    return _from_row(row)


async def get(conn: asyncpg.Connection, principal: Principal, placement_id: uuid.UUID) -> Placement:
    jobcentre_code = _jobcentre_of(principal)
    placement = await _get(conn, placement_id, jobcentre_code)
    await audit.record(conn, principal, "placement", [placement.citizen_id], jobcentre_code=jobcentre_code,
                       detail={"operation": "read"})
    return placement


async def update(conn: asyncpg.Connection, principal: Principal, placement_id: uuid.UUID,
                 patch: PlacementUpdate) -> Placement:
    """Record how the placement ends: the end date, the outcome and why."""
    jobcentre_code = _jobcentre_of(principal)
    current = await _get(conn, placement_id, jobcentre_code, for_update=True)
    changes = patch.model_dump(exclude_unset=True)
    end_date: dt.date | None = changes.get("end_date", current.end_date)
    outcome: Outcome | None = changes.get("outcome", current.outcome)
    _check_outcome_change(current.outcome, outcome)
    try:
        check_dates_and_outcome(current.start_date, end_date, outcome)
    except ValueError as error:
        field, message = str(error).split(": ", 1)
        raise InvalidInput(field, message) from error
    _check_extension_end(current.outcome, current.end_date, outcome, end_date)
    await repository.update_ending(
        conn, placement_id, end_date=end_date, outcome=outcome.value if outcome else None,
        outcome_reason=changes.get("outcome_reason", current.outcome_reason))
    await audit.record(conn, principal, "placement", [current.citizen_id], jobcentre_code=jobcentre_code,
                       detail={"operation": "update", "fields": sorted(changes)})
    return await _get(conn, placement_id, jobcentre_code)


async def list_placements(conn: asyncpg.Connection, principal: Principal, *, after: uuid.UUID | None, limit: int,
                          citizen_id: uuid.UUID | None = None,
                          employer_id: uuid.UUID | None = None) -> Page[Placement]:
    jobcentre_code = _jobcentre_of(principal)
    rows = await repository.list_for_jobcentre(conn, jobcentre_code, after=after, limit=limit + 1,
                                               citizen_id=citizen_id, employer_id=employer_id)
    items = [_from_row(row) for row in rows[:limit]]
    await audit.record(conn, principal, "placement", list(dict.fromkeys(item.citizen_id for item in items)),
                       jobcentre_code=jobcentre_code, detail={"operation": "list"})
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


# ----- import of the decision and placement history -----

async def _import_jobcentre(conn: asyncpg.Connection, principal: Principal, jobcentre_code: int) -> None:
    """Staff import into their own jobcentre only; the operator into any that exists."""
    if not principal.is_staff:
        raise Forbidden("only jobcentre staff and operators import history")
    if principal.is_jobcentre_staff and jobcentre_code != principal.jobcentre_code:
        raise InvalidInput("jobcentre_code", "you can only import into your own jobcentre")
    if not await users.jobcentre_exists(conn, jobcentre_code):
        raise InvalidInput("jobcentre_code", f"no jobcentre with kommune code {jobcentre_code}")


@dataclass(frozen=True)
class _ResolvedPair:
    citizen: asyncpg.Record
    employer_id: uuid.UUID
    opening_id: uuid.UUID | None


async def _resolve(conn: asyncpg.Connection, principal: Principal,
                   row: DecisionImport | PlacementImport) -> _ResolvedPair:
    """The citizen, employer and opening a history row names by reference."""
    await _import_jobcentre(conn, principal, row.jobcentre_code)
    citizen = await repository.citizen_by_reference(conn, row.jobcentre_code, row.citizen_ref)
    if citizen is None:
        raise InvalidInput("citizen_ref", f"no citizen '{row.citizen_ref}' in jobcentre {row.jobcentre_code}")
    employer_id = await employers.get_employer_id_by_ref(conn, row.employer_ref)
    if employer_id is None:
        raise InvalidInput("employer_ref", f"no employer with external_ref '{row.employer_ref}'")
    opening_id = None
    if row.opening_ref is not None:
        opening = await employers.get_opening_by_ref(conn, row.opening_ref)
        if opening is None:
            raise InvalidInput("opening_ref", f"no opening with external_ref '{row.opening_ref}'")
        opening_id = opening["id"]
    return _ResolvedPair(citizen, employer_id, opening_id)


async def upsert_decision(conn: asyncpg.Connection, principal: Principal, row: DecisionImport,
                          normaliser: Normaliser | None = None) -> uuid.UUID:
    """Import: a decided suggestion (origin 'import'), created or replaced by external_ref.

    A decision is final: re-importing it with the other decision is refused.
    """
    pair = await _resolve(conn, principal, row)
    await _check_pair(conn, citizen=pair.citizen, employer_id=pair.employer_id, opening_id=pair.opening_id,
                      scheme=row.scheme, suggestion_id=None, names=_IMPORT_FIELDS)
    values: dict[str, Any] = {
        "external_ref": row.external_ref, "citizen_id": pair.citizen["id"], "jobcentre_code": row.jobcentre_code,
        "employer_id": pair.employer_id, "opening_id": pair.opening_id, "scheme": row.scheme.value,
        "state": row.decision.value, "reason_code": row.reason_code,
        # Noon UTC keeps the calendar day in every Danish and European time zone.
        "decided_at": dt.datetime.combine(row.decided_on, dt.time(12), tzinfo=dt.UTC),
    }
    existing = await repository.get_suggestion_by_ref(conn, row.external_ref)
    if existing is None:
        suggestion_id = await _unique(conn, repository.insert_decided_suggestion(conn, values))
    else:
        if existing["jobcentre_code"] != row.jobcentre_code:
            raise Conflict("external_ref: belongs to a decision in another jobcentre")
        if existing["state"] != row.decision.value:
            raise Conflict(f"decision: already recorded as '{existing['state']}'; a decision is final",
                           fields=[{"field": "decision", "message": "a decision is final"}])
        suggestion_id = existing["id"]
        await _unique(conn, repository.replace_decided_suggestion(conn, suggestion_id, values))
    await audit.record(conn, principal, "import", [pair.citizen["id"]], jobcentre_code=row.jobcentre_code,
                       detail={"kind": "decisions"})
    return suggestion_id


async def upsert_placement(conn: asyncpg.Connection, principal: Principal, row: PlacementImport,
                           normaliser: Normaliser | None = None) -> uuid.UUID:
    """Import: a placement created or replaced by external_ref, linked to its decision by `decision_ref`.

    The outcome rules hold as on the API: a final outcome is not changed by a later import.
    """
    pair = await _resolve(conn, principal, row)
    suggestion_id = None
    if row.decision_ref is not None:
        suggestion = await repository.get_suggestion_by_ref(conn, row.decision_ref)
        if suggestion is None:
            raise InvalidInput("decision_ref", f"no decision with external_ref '{row.decision_ref}'")
        suggestion_id = suggestion["id"]
    await _check_pair(conn, citizen=pair.citizen, employer_id=pair.employer_id, opening_id=pair.opening_id,
                      scheme=row.scheme, suggestion_id=suggestion_id, names=_IMPORT_FIELDS)
    values: dict[str, Any] = {
        "external_ref": row.external_ref, "citizen_id": pair.citizen["id"], "jobcentre_code": row.jobcentre_code,
        "employer_id": pair.employer_id, "opening_id": pair.opening_id, "suggestion_id": suggestion_id,
        "scheme": row.scheme.value, "start_date": row.start_date, "end_date": row.end_date,
        "outcome": row.outcome.value if row.outcome else None, "outcome_reason": row.outcome_reason,
    }
    existing = await repository.get_by_ref(conn, row.external_ref)
    if existing is None:
        placement_id = await _unique(conn, repository.insert(conn, values), suggestion_field="decision_ref")
    else:
        if existing["jobcentre_code"] != row.jobcentre_code:
            raise Conflict("external_ref: belongs to a placement in another jobcentre")
        current = Outcome(existing["outcome"]) if existing["outcome"] else None
        _check_outcome_change(current, row.outcome)
        _check_extension_end(current, existing["end_date"], row.outcome, row.end_date)
        placement_id = existing["id"]
        await _unique(conn, repository.replace(conn, placement_id, values), suggestion_field="decision_ref")
    await audit.record(conn, principal, "import", [pair.citizen["id"]], jobcentre_code=row.jobcentre_code,
                       detail={"kind": "placements"})
    return placement_id
