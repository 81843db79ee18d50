"""Citizens: scoped to the caller's jobcentre, every read and write written to the audit log."""

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import asyncpg

from audit import repository as audit
from citizens import repository
from citizens.schemas import Citizen, CitizenCreate, CitizenUpdate
from core import repository as reference
from core.db import unique_or_conflict
from core.errors import Forbidden, InvalidInput, NotFound
from core.pagination import encode_cursor
from core.schemas import Page
from taxonomy import service as taxonomy
from taxonomy.normaliser import Normaliser
from users import repository as users
from users.schemas import Principal

T = TypeVar("T")


def _jobcentre_of(principal: Principal) -> int:
    """Only jobcentre staff work with citizens, and only with their own jobcentre's."""
    if not principal.is_jobcentre_staff or principal.jobcentre_code is None:
        raise Forbidden("only consultants and jobcentre admins have access to citizens")
    return principal.jobcentre_code


async def _values(conn: asyncpg.Connection, data: CitizenCreate, normaliser: Normaliser | None) -> dict[str, Any]:
    """Row values: ESCO URIs checked against the taxonomy, codes inferred from the free text."""
    await taxonomy.check_known_uris(
        conn,
        occupations={"experience": [item.occupation_uri for item in data.experience if item.occupation_uri],
                     "wishes.occupations": [item.uri for item in data.wishes.occupations if item.uri]},
        skills={"skills": [skill.uri for skill in data.skills if skill.uri]})
    occupation_texts = [item.title for item in data.experience if item.title and not item.occupation_uri]
    occupation_texts += [item.text for item in data.wishes.occupations if item.text and not item.uri]
    inferred_occupations, inferred_skills = await taxonomy.infer_codes(
        normaliser, occupation_texts=occupation_texts,
        skill_texts=[skill.text for skill in data.skills if skill.text and not skill.uri])
    values = data.model_dump(mode="json", exclude={"jobcentre_code"})
    values.update(consultant_id=data.consultant_id, inferred_occupations=inferred_occupations,
                  inferred_skills=inferred_skills)
    return values


def _from_row(row: asyncpg.Record) -> Citizen:
    return Citizen.model_validate(dict(row))


async def _check_references(conn: asyncpg.Connection, data: CitizenCreate, jobcentre_code: int) -> None:
    if not await reference.postcode_exists(conn, data.postcode):
        raise InvalidInput("postcode", f"unknown Danish postcode '{data.postcode}'")
    if data.consultant_id is not None and not await users.consultant_in_jobcentre(
            conn, data.consultant_id, jobcentre_code):
        raise InvalidInput("consultant_id", "not a consultant of this jobcentre")


def _write(conn: asyncpg.Connection, statement: Awaitable[T]) -> Awaitable[T]:
    return unique_or_conflict(conn, statement, field="reference", message="already used in this jobcentre")


async def create(conn: asyncpg.Connection, principal: Principal, data: CitizenCreate,
                 normaliser: Normaliser | None = None) -> Citizen:
    jobcentre_code = _jobcentre_of(principal)
    if data.jobcentre_code not in (None, jobcentre_code):
        raise InvalidInput("jobcentre_code", "you can only register citizens in your own jobcentre")
    await _check_references(conn, data, jobcentre_code)
    values = await _values(conn, data, normaliser)
    citizen_id = await _write(conn, repository.insert(conn, jobcentre_code, values))
    await audit.record(conn, principal, "create", [citizen_id], jobcentre_code=jobcentre_code)
    return await _get(conn, citizen_id, jobcentre_code)


async def _get(conn: asyncpg.Connection, citizen_id: uuid.UUID, jobcentre_code: int) -> Citizen:
    row = await repository.get(conn, citizen_id, jobcentre_code)
    if row is None:
        raise NotFound(f"no citizen {citizen_id}")
    return _from_row(row)


async def get(conn: asyncpg.Connection, principal: Principal, citizen_id: uuid.UUID) -> Citizen:
    jobcentre_code = _jobcentre_of(principal)
    citizen = await _get(conn, citizen_id, jobcentre_code)
    await audit.record(conn, principal, "read", [citizen_id], jobcentre_code=jobcentre_code)
    return citizen


async def update(conn: asyncpg.Connection, principal: Principal, citizen_id: uuid.UUID,
                 patch: CitizenUpdate, normaliser: Normaliser | None = None) -> Citizen:
    jobcentre_code = _jobcentre_of(principal)
    current = await _get(conn, citizen_id, jobcentre_code)
    changes = patch.model_dump(exclude_unset=True)
    merged_values = current.model_dump(include=set(CitizenCreate.model_fields)) | changes
    if "target_group" in changes and "schemes" not in changes:
        merged_values["schemes"] = []  # re-derive the schemes the new target group allows
    merged = CitizenCreate.model_validate(merged_values)
    await _check_references(conn, merged, jobcentre_code)
    values = await _values(conn, merged, normaliser)
    await _write(conn, repository.update(conn, citizen_id, values))
    await audit.record(conn, principal, "update", [citizen_id], jobcentre_code=jobcentre_code,
                       detail={"fields": sorted(changes)})
    return await _get(conn, citizen_id, jobcentre_code)


async def erase(conn: asyncpg.Connection, principal: Principal, citizen_id: uuid.UUID) -> None:
    """Delete the citizen's personal data everywhere; the audit log keeps only that an erasure happened."""
    jobcentre_code = _jobcentre_of(principal)
    await _get(conn, citizen_id, jobcentre_code)
    await repository.delete(conn, citizen_id)
    await audit.forget_citizen(conn, citizen_id)
    await audit.record_erasure(conn, principal, jobcentre_code)


async def list_citizens(conn: asyncpg.Connection, principal: Principal, *, after: uuid.UUID | None, limit: int,
                        consultant_id: uuid.UUID | None = None, active: bool | None = None,
                        reference_filter: str | None = None) -> Page[Citizen]:
    jobcentre_code = _jobcentre_of(principal)
    rows = await repository.list_for_jobcentre(conn, jobcentre_code, after=after, limit=limit + 1,
                                               consultant_id=consultant_id, active=active,
                                               reference=reference_filter)
    items = [_from_row(row) for row in rows[:limit]]
    await audit.record(conn, principal, "list", [item.id for item in items], jobcentre_code=jobcentre_code)
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def upsert(conn: asyncpg.Connection, principal: Principal, data: CitizenCreate,
                 normaliser: Normaliser | None = None) -> uuid.UUID:
    """Import: create, or replace the citizen with the same reference in the row's jobcentre."""
    jobcentre_code = data.jobcentre_code
    if principal.is_jobcentre_staff:
        jobcentre_code = _jobcentre_of(principal) if jobcentre_code is None else jobcentre_code
        if jobcentre_code != principal.jobcentre_code:
            raise InvalidInput("jobcentre_code", "you can only import citizens into your own jobcentre")
    if jobcentre_code is None:
        raise InvalidInput("jobcentre_code", "required for import")
    if not await users.jobcentre_exists(conn, jobcentre_code):
        raise InvalidInput("jobcentre_code", f"no jobcentre with kommune code {jobcentre_code}")
    await _check_references(conn, data, jobcentre_code)
    existing = await repository.get_id_by_reference(conn, jobcentre_code, data.reference)
    values = await _values(conn, data, normaliser)
    if existing is None:
        citizen_id: uuid.UUID = await repository.insert(conn, jobcentre_code, values)
    else:
        await repository.update(conn, existing, values)
        citizen_id = existing
    await audit.record(conn, principal, "import", [citizen_id], jobcentre_code=jobcentre_code)
    return citizen_id
