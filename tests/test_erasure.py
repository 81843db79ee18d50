"""Erasure: after DELETE /v1/citizens/{id} no table or column in the database holds the citizen's id or
reference."""

import uuid
from typing import Any

import asyncpg
import httpx

from core.vocab import Role
from tests.factories import citizen_body

REFERENCE = "ERASE-ME-4711"


async def tables_mentioning(pool: asyncpg.Pool, needles: list[str]) -> dict[str, list[str]]:
    """For every column of every table, cast to text: which columns contain any of the needles."""
    async with pool.acquire() as conn:
        columns = await conn.fetch(
            """SELECT c.table_schema, c.table_name, c.column_name
               FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
               ORDER BY 1, 2, c.ordinal_position""")
        tables: dict[tuple[str, str], list[str]] = {}
        for column in columns:
            tables.setdefault((column["table_schema"], column["table_name"]), []).append(column["column_name"])
        found: dict[str, list[str]] = {}
        for (schema, table), names in tables.items():
            identifier = f'"{schema}"."{table}"'
            hits = ", ".join(
                f'bool_or(strpos("{name}"::text, needle) > 0) AS "{name}"' for name in names)
            row = await conn.fetchrow(
                f"SELECT {hits} FROM {identifier} CROSS JOIN unnest($1::text[]) AS needle", needles)
            matching = [name for name in names if row[name]]
            if matching:
                found[f"{schema}.{table}"] = matching
    return found


async def test_erased_citizen_leaves_no_trace_in_any_table(client: httpx.AsyncClient, make_actor: Any,
                                                           pool: asyncpg.Pool) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    headers = consultant.headers
    created = await client.post("/v1/citizens", headers=headers,
                                json=citizen_body(reference=REFERENCE,
                                                  consultant_id=str(consultant.principal.user_id)))
    citizen_id = created.json()["id"]
    kept = (await client.post("/v1/citizens", headers=headers, json=citizen_body(reference="KEEP-1"))).json()["id"]
    # Touch the citizen every way the API allows, so every place that could keep a trace has one.
    assert (await client.get(f"/v1/citizens/{citizen_id}", headers=headers)).status_code == 200
    assert (await client.patch(f"/v1/citizens/{citizen_id}", headers=headers,
                               json={"hours_max": 25})).status_code == 200
    assert (await client.get("/v1/citizens", headers=headers, params={"reference": REFERENCE})).status_code == 200
    before = await tables_mentioning(pool, [citizen_id, REFERENCE])
    assert set(before) >= {"public.citizens", "public.audit_log"}, before  # the search does find traces

    response = await client.delete(f"/v1/citizens/{citizen_id}", headers=headers)

    assert response.status_code == 204
    assert await tables_mentioning(pool, [citizen_id, REFERENCE]) == {}
    assert (await client.get(f"/v1/citizens/{citizen_id}", headers=headers)).status_code == 404
    # Only this citizen is gone: the other one, and that accesses and the erasure happened, remain.
    assert (await client.get(f"/v1/citizens/{kept}", headers=headers)).status_code == 200
    async with pool.acquire() as conn:
        actions = await conn.fetch("SELECT action, citizen_id FROM audit_log ORDER BY id")
    assert [row["action"] for row in actions].count("erase") == 1
    assert {row["citizen_id"] for row in actions} == {None, uuid.UUID(kept)}


async def test_erasing_twice_is_404(client: httpx.AsyncClient, make_actor: Any) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    citizen_id = (await client.post("/v1/citizens", headers=consultant.headers, json=citizen_body())).json()["id"]

    first = await client.delete(f"/v1/citizens/{citizen_id}", headers=consultant.headers)
    second = await client.delete(f"/v1/citizens/{citizen_id}", headers=consultant.headers)

    assert (first.status_code, second.status_code) == (204, 404)
