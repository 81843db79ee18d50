"""The audit log: every access to a citizen is recorded with who, what and which citizen, in the same
transaction as the access itself."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from core.config import Settings
from core.vocab import Role
from tests.conftest import Actor
from tests.factories import citizen_body


@pytest.fixture
async def consultant(make_actor: Any) -> Actor:
    actor: Actor = await make_actor(Role.CONSULTANT, jobcentre=101)
    return actor


async def register(client: httpx.AsyncClient, actor: Actor, reference: str) -> str:
    response = await client.post("/v1/citizens", headers=actor.headers, json=citizen_body(reference=reference))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def audit_rows(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT actor_id, actor_role, action, citizen_id, jobcentre_code, detail "
                                "FROM audit_log ORDER BY id")
    return [dict(row) for row in rows]


def entry(actor: Actor, action: str, citizen_id: str | None, **detail: Any) -> dict[str, Any]:
    return {"actor_id": actor.principal.user_id, "actor_role": actor.principal.role.value, "action": action,
            "citizen_id": uuid.UUID(citizen_id) if citizen_id else None, "jobcentre_code": 101, "detail": detail}


async def test_each_citizen_access_writes_one_row_naming_actor_action_and_citizen(
        client: httpx.AsyncClient, consultant: Actor, make_actor: Any, pool: asyncpg.Pool) -> None:
    colleague = await make_actor(Role.JOBCENTRE_ADMIN, jobcentre=101)
    first = await register(client, consultant, "CASE-1")
    second = await register(client, consultant, "CASE-2")
    assert (await client.get(f"/v1/citizens/{first}", headers=colleague.headers)).status_code == 200
    assert (await client.patch(f"/v1/citizens/{first}", headers=consultant.headers,
                               json={"hours_max": 35, "active": False})).status_code == 200
    listed = await client.get("/v1/citizens", headers=colleague.headers)
    listed_ids = [item["id"] for item in listed.json()["items"]]

    rows = await audit_rows(pool)

    assert rows == [
        entry(consultant, "create", first),
        entry(consultant, "create", second),
        entry(colleague, "read", first),
        entry(consultant, "update", first, fields=["active", "hours_max"]),
        *(entry(colleague, "list", citizen_id) for citizen_id in listed_ids),
    ]
    assert sorted(listed_ids) == sorted([first, second])


async def test_audit_rows_hold_no_citizen_data(client: httpx.AsyncClient, consultant: Actor,
                                               pool: asyncpg.Pool) -> None:
    citizen_id = await register(client, consultant, "CASE-SECRET-1")
    await client.patch(f"/v1/citizens/{citizen_id}", headers=consultant.headers,
                       json={"wishes": {"text": "Vil gerne arbejde med dyr"}})

    async with pool.acquire() as conn:
        text = await conn.fetchval("SELECT string_agg(audit_log::text, ' ') FROM audit_log")

    assert "CASE-SECRET-1" not in text
    assert "dyr" not in text and "2200" not in text


async def test_erasure_is_logged_without_naming_the_citizen(client: httpx.AsyncClient, consultant: Actor,
                                                            pool: asyncpg.Pool) -> None:
    citizen_id = await register(client, consultant, "CASE-1")
    await client.get(f"/v1/citizens/{citizen_id}", headers=consultant.headers)

    assert (await client.delete(f"/v1/citizens/{citizen_id}", headers=consultant.headers)).status_code == 204

    assert await audit_rows(pool) == [
        entry(consultant, "create", None), entry(consultant, "read", None), entry(consultant, "erase", None)]


@pytest.mark.parametrize(("patch", "status"), [
    ({"reference": "CASE-2"}, 409),  # the other citizen's reference
    ({"hours_min": 36}, 422),  # above the stored hours_max
    ({"postcode": "0001"}, 422),  # fails only against the database
])
async def test_failed_update_writes_no_audit_row(client: httpx.AsyncClient, consultant: Actor, pool: asyncpg.Pool,
                                                 patch: dict[str, Any], status: int) -> None:
    citizen_id = await register(client, consultant, "CASE-1")
    await register(client, consultant, "CASE-2")
    before = await audit_rows(pool)

    response = await client.patch(f"/v1/citizens/{citizen_id}", headers=consultant.headers, json=patch)

    assert response.status_code == status
    assert await audit_rows(pool) == before


async def test_refused_access_writes_no_audit_row(client: httpx.AsyncClient, consultant: Actor, make_actor: Any,
                                                  pool: asyncpg.Pool) -> None:
    citizen_id = await register(client, consultant, "CASE-1")
    before = await audit_rows(pool)
    aarhus = await make_actor(Role.CONSULTANT, jobcentre=751)
    admin = await make_actor(Role.ADMIN)

    assert (await client.get(f"/v1/citizens/{citizen_id}", headers=aarhus.headers)).status_code == 404
    assert (await client.get(f"/v1/citizens/{citizen_id}", headers=admin.headers)).status_code == 403
    assert (await client.get("/v1/citizens", headers=aarhus.headers)).json()["items"] == []

    assert await audit_rows(pool) == before


@pytest.fixture
async def server_error_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client that receives the 500 response the app sends instead of the exception behind it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.mark.parametrize("action", ["create", "update", "read", "erase"])
async def test_access_fails_when_its_audit_row_cannot_be_written(
        server_error_client: httpx.AsyncClient, consultant: Actor, pool: asyncpg.Pool, action: str) -> None:
    """The audit row and the access share one transaction: no audit row, no access."""
    client = server_error_client
    citizen_id = await register(client, consultant, "CASE-1")
    async with pool.acquire() as conn:
        # NOT VALID: earlier rows stay; every new row with this action is refused.
        await conn.execute(f"ALTER TABLE audit_log ADD CONSTRAINT refuse_{action} "
                           f"CHECK (action <> '{action}') NOT VALID")
        before = await conn.fetchrow("SELECT * FROM citizens WHERE id = $1", uuid.UUID(citizen_id))

    calls = {
        "create": lambda: client.post("/v1/citizens", headers=consultant.headers,
                                      json=citizen_body(reference="CASE-2")),
        "update": lambda: client.patch(f"/v1/citizens/{citizen_id}", headers=consultant.headers,
                                       json={"hours_max": 20}),
        "read": lambda: client.get(f"/v1/citizens/{citizen_id}", headers=consultant.headers),
        "erase": lambda: client.delete(f"/v1/citizens/{citizen_id}", headers=consultant.headers),
    }
    response = await calls[action]()

    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "internal error"}
    async with pool.acquire() as conn:
        assert await conn.fetch("SELECT reference FROM citizens ORDER BY reference") == [("CASE-1",)]
        assert await conn.fetchrow("SELECT * FROM citizens WHERE id = $1", uuid.UUID(citizen_id)) == before
