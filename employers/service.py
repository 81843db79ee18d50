"""Employers and their openings: creation, changes and scoped reads. No HTTP here."""

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import asyncpg

from core import repository as reference
from core.db import unique_or_conflict
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.pagination import encode_cursor
from core.schemas import Page
from employers import repository
from employers.schemas import (
    Employer,
    EmployerCreate,
    EmployerOffers,
    EmployerUpdate,
    Opening,
    OpeningCreate,
    OpeningImport,
    OpeningUpdate,
)
from taxonomy import service as taxonomy
from taxonomy.normaliser import Normaliser
from users.schemas import Principal

T = TypeVar("T")


def _employer_from_row(row: asyncpg.Record) -> Employer:
    values = dict(row)
    values["offers"] = EmployerOffers(
        mentor=row["offers_mentor"], reduced_hours=row["offers_reduced_hours"],
        flexible_hours=row["offers_flexible_hours"], gradual_start=row["offers_gradual_start"],
        physical_demands=row["physical_demands"], accommodations=row["accommodations"],
    )
    return Employer.model_validate(values)


def _employer_values(data: EmployerCreate) -> dict[str, Any]:
    values = data.model_dump(mode="json", exclude={"offers"})
    values.update(
        offers_mentor=data.offers.mentor, offers_reduced_hours=data.offers.reduced_hours,
        offers_flexible_hours=data.offers.flexible_hours, offers_gradual_start=data.offers.gradual_start,
        physical_demands=data.offers.physical_demands.value, accommodations=data.offers.accommodations,
        available_from=data.available_from, paused_until=data.paused_until,
    )
    return values


def _employer_as_create(employer: Employer) -> dict[str, Any]:
    return employer.model_dump(include=set(EmployerCreate.model_fields))


async def _check_postcode(conn: asyncpg.Connection, postcode: str) -> None:
    if not await reference.postcode_exists(conn, postcode):
        raise InvalidInput("postcode", f"unknown Danish postcode '{postcode}'")


def _unique(conn: asyncpg.Connection, statement: Awaitable[T]) -> Awaitable[T]:
    return unique_or_conflict(conn, statement, field="external_ref", message="already used by another record")


def _visible(principal: Principal, employer_id: uuid.UUID) -> bool:
    return principal.is_staff or principal.employer_id == employer_id


async def create_employer(conn: asyncpg.Connection, principal: Principal, data: EmployerCreate) -> Employer:
    if not principal.is_staff:
        raise Forbidden("employers cannot register other employers; ask the jobcentre")
    await _check_postcode(conn, data.postcode)
    employer_id = await _unique(conn, repository.insert_employer(conn, _employer_values(data)))
    return await get_employer(conn, principal, employer_id)


async def get_employer(conn: asyncpg.Connection, principal: Principal, employer_id: uuid.UUID) -> Employer:
    row = await repository.get_employer(conn, employer_id) if _visible(principal, employer_id) else None
    if row is None:
        raise NotFound(f"no employer {employer_id}")
    return _employer_from_row(row)


async def update_employer(conn: asyncpg.Connection, principal: Principal, employer_id: uuid.UUID,
                          patch: EmployerUpdate) -> Employer:
    current = await get_employer(conn, principal, employer_id)
    merged = EmployerCreate.model_validate(_employer_as_create(current) | patch.model_dump(exclude_unset=True))
    await _check_postcode(conn, merged.postcode)
    await _unique(conn, repository.update_employer(conn, employer_id, _employer_values(merged)))
    return await get_employer(conn, principal, employer_id)


async def list_employers(conn: asyncpg.Connection, principal: Principal, *, after: uuid.UUID | None,
                         limit: int, postcode: str | None = None, status: str | None = None) -> Page[Employer]:
    only = None if principal.is_staff else principal.employer_id
    rows = await repository.list_employers(conn, after=after, limit=limit + 1, only_id=only,
                                           postcode=postcode, status=status)
    items = [_employer_from_row(row) for row in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def upsert_employer(conn: asyncpg.Connection, principal: Principal, data: EmployerCreate,
                          normaliser: Normaliser | None = None) -> uuid.UUID:
    """Import: create, or replace the employer with the same external_ref."""
    if data.external_ref is None:
        raise InvalidInput("external_ref", "required for import")
    await _check_postcode(conn, data.postcode)
    existing = await repository.get_employer_id_by_ref(conn, data.external_ref)
    if existing is None:
        return await repository.insert_employer(conn, _employer_values(data))
    await repository.update_employer(conn, existing, _employer_values(data))
    return existing


def _opening_from_row(row: asyncpg.Record) -> Opening:
    return Opening.model_validate(dict(row))


async def _opening_values(conn: asyncpg.Connection, data: OpeningCreate, employer: asyncpg.Record,
                         normaliser: Normaliser | None) -> dict[str, Any]:
    """Row values for an opening: defaults from the employer, URIs checked, codes inferred from free text."""
    await taxonomy.check_known_uris(
        conn, occupations={"occupation_uri": [data.occupation_uri] if data.occupation_uri else []},
        skills={"skills": [skill.uri for skill in data.skills if skill.uri]})
    inferred_occupations, inferred_skills = await taxonomy.infer_codes(
        normaliser, occupation_texts=[] if data.occupation_uri else [data.title],
        skill_texts=[skill.text for skill in data.skills if skill.text and not skill.uri])
    values = data.model_dump(mode="json", include=set(repository.OPENING_FIELDS))
    values.update(inferred_occupations=inferred_occupations, inferred_skills=inferred_skills)
    values.update(
        skills=[skill.model_dump(mode="json", exclude_none=True) for skill in data.skills],
        postcode=data.postcode or employer["postcode"],
        physical_demands=(data.physical_demands or employer["physical_demands"]),
        start_date=data.start_date, expires_on=data.expires_on,
    )
    return values


async def _writable_employer(conn: asyncpg.Connection, principal: Principal,
                             employer_id: uuid.UUID) -> asyncpg.Record:
    row = await repository.get_employer(conn, employer_id) if _visible(principal, employer_id) else None
    if row is None:
        raise NotFound(f"no employer {employer_id}")
    return row


async def create_opening(conn: asyncpg.Connection, principal: Principal, employer_id: uuid.UUID,
                         data: OpeningCreate, normaliser: Normaliser | None = None) -> Opening:
    employer = await _writable_employer(conn, principal, employer_id)
    if data.postcode is not None:
        await _check_postcode(conn, data.postcode)
    values = await _opening_values(conn, data, employer, normaliser)
    opening_id = await _unique(conn, repository.insert_opening(conn, employer_id, values))
    return await get_opening(conn, principal, opening_id)


async def get_opening(conn: asyncpg.Connection, principal: Principal, opening_id: uuid.UUID) -> Opening:
    row = await repository.get_opening(conn, opening_id)
    if row is None or not _visible(principal, row["employer_id"]):
        raise NotFound(f"no opening {opening_id}")
    return _opening_from_row(row)


async def update_opening(conn: asyncpg.Connection, principal: Principal, opening_id: uuid.UUID,
                         patch: OpeningUpdate, normaliser: Normaliser | None = None) -> Opening:
    current = await get_opening(conn, principal, opening_id)
    employer = await _writable_employer(conn, principal, current.employer_id)
    merged = OpeningCreate.model_validate(
        current.model_dump(include=set(OpeningCreate.model_fields)) | patch.model_dump(exclude_unset=True))
    await _check_postcode(conn, merged.postcode or employer["postcode"])
    values = await _opening_values(conn, merged, employer, normaliser)
    await _unique(conn, repository.update_opening(conn, opening_id, values))
    return await get_opening(conn, principal, opening_id)


async def list_openings(conn: asyncpg.Connection, principal: Principal, *, after: uuid.UUID | None,
                        limit: int, employer_id: uuid.UUID | None, status: str | None) -> Page[Opening]:
    if not principal.is_staff:
        if employer_id not in (None, principal.employer_id):
            return Page(items=[])
        employer_id = principal.employer_id
    rows = await repository.list_openings(conn, after=after, limit=limit + 1, employer_id=employer_id,
                                          status=status)
    items = [_opening_from_row(row) for row in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def upsert_opening(conn: asyncpg.Connection, principal: Principal, data: OpeningImport,
                         normaliser: Normaliser | None = None) -> uuid.UUID:
    """Import: create, or replace the opening with the same external_ref."""
    if data.external_ref is None:
        raise InvalidInput("external_ref", "required for import")
    employer_id = data.employer_id
    if data.employer_ref is not None:
        employer_id = await repository.get_employer_id_by_ref(conn, data.employer_ref)
        if employer_id is None:
            raise InvalidInput("employer_ref", f"no employer with external_ref '{data.employer_ref}'")
    assert employer_id is not None
    employer = await repository.get_employer(conn, employer_id)
    if employer is None:
        raise InvalidInput("employer_id", f"no employer {employer_id}")
    if data.postcode is not None:
        await _check_postcode(conn, data.postcode)
    values = await _opening_values(conn, data, employer, normaliser)
    existing = await repository.get_opening_by_ref(conn, data.external_ref)
    if existing is None:
        return await repository.insert_opening(conn, employer_id, values)
    if existing["employer_id"] != employer_id:
        raise Conflict("external_ref: belongs to an opening of another employer")
    await repository.update_opening(conn, existing["id"], values)
    return existing["id"]
