"""Placements over the API: recording, scoping to the citizen's jobcentre, outcome rules, listing."""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from core.vocab import Role
from placements.schemas import Outcome
from tests.conftest import Actor
from tests.factories import VALID_CVRS, error_fields

OWN_JOBCENTRE = 101
FOREIGN_JOBCENTRE = 751


async def insert(conn: asyncpg.Connection, table: str, **values: Any) -> uuid.UUID:
    columns = ", ".join(values)
    placeholders = ", ".join(f"${index}" for index in range(1, len(values) + 1))
    row_id: uuid.UUID = await conn.fetchval(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id", *values.values())
    return row_id


@dataclass
class World:
    """Two employers (Lager with two openings, Kro with one), citizens in the callers' jobcentre and in
    another, and a suggestion for the own citizen at the Lager's first opening."""

    consultant: Actor
    jobcentre_admin: Actor
    foreign_consultant: Actor
    admin: Actor
    employer: Actor
    employers: dict[str, str]
    openings: dict[str, str]
    citizens: dict[str, str]
    suggestion: str


async def _citizen(conn: asyncpg.Connection, jobcentre: int, reference: str, target_group: str,
                   schemes: list[str]) -> str:
    return str(await insert(conn, "citizens", jobcentre_code=jobcentre, reference=reference, postcode="2200",
                            target_group=target_group, max_commute_km=20, hours_min=10, hours_max=30,
                            schemes=schemes))


async def _opening(conn: asyncpg.Connection, employer_id: str, title: str, schemes: list[str]) -> str:
    return str(await insert(conn, "openings", employer_id=uuid.UUID(employer_id), title=title, schemes=schemes,
                            hours_min=10, hours_max=37, slots=2, postcode="2650", physical_demands="medium"))


@pytest.fixture
async def world(pool: asyncpg.Pool, make_actor: Any) -> World:
    async with pool.acquire() as conn:
        employers = {
            "lager": str(await insert(conn, "employers", cvr=VALID_CVRS[0], name="Lager ApS", postcode="2650")),
            "kro": str(await insert(conn, "employers", cvr=VALID_CVRS[1], name="Kro A/S", postcode="8000")),
        }
        openings = {
            "lager": await _opening(conn, employers["lager"], "Lagermedarbejder", ["internship", "ordinary"]),
            "lager_flex": await _opening(conn, employers["lager"], "Pakker i fleksjob", ["flexjob"]),
            "kro": await _opening(conn, employers["kro"], "Opvasker", ["internship"]),
        }
        citizens = {
            "own": await _citizen(conn, OWN_JOBCENTRE, "OWN-0001", "kontanthjaelp",
                                  ["internship", "ordinary", "wage_subsidy"]),
            "sick": await _citizen(conn, OWN_JOBCENTRE, "OWN-0002", "sygedagpenge", ["internship", "ordinary"]),
            "foreign": await _citizen(conn, FOREIGN_JOBCENTRE, "FOREIGN-0001", "kontanthjaelp", ["internship"]),
        }
        suggestion = str(await insert(
            conn, "suggestions", citizen_id=uuid.UUID(citizens["own"]), jobcentre_code=OWN_JOBCENTRE,
            employer_id=uuid.UUID(employers["lager"]), opening_id=uuid.UUID(openings["lager"]), scheme="internship",
            origin="citizen", scorer_version="test"))
    return World(
        consultant=await make_actor(Role.CONSULTANT, jobcentre=OWN_JOBCENTRE),
        jobcentre_admin=await make_actor(Role.JOBCENTRE_ADMIN, jobcentre=OWN_JOBCENTRE),
        foreign_consultant=await make_actor(Role.CONSULTANT, jobcentre=FOREIGN_JOBCENTRE),
        admin=await make_actor(Role.ADMIN),
        employer=await make_actor(Role.EMPLOYER, employer=uuid.UUID(employers["lager"])),
        employers=employers, openings=openings, citizens=citizens, suggestion=suggestion)


def placement_body(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"citizen_id": world.citizens["own"], "employer_id": world.employers["lager"],
                            "opening_id": world.openings["lager"], "scheme": "internship",
                            "start_date": "2026-02-02"}
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/placements", headers=actor.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_placement_is_recorded_and_read_back(client: httpx.AsyncClient, world: World,
                                                   count_rows: Any) -> None:
    created = await create(client, world.consultant,
                           placement_body(world, suggestion_id=world.suggestion, external_ref="plc-1"))

    fetched = await client.get(f"/v1/placements/{created['id']}", headers=world.jobcentre_admin.headers)

    assert fetched.status_code == 200
    assert fetched.json() == created
    assert (created["citizen_id"], created["employer_id"], created["opening_id"], created["suggestion_id"]) == (
        world.citizens["own"], world.employers["lager"], world.openings["lager"], world.suggestion)
    assert (created["jobcentre_code"], created["scheme"], created["start_date"]) == (101, "internship", "2026-02-02")
    assert (created["end_date"], created["outcome"], created["successful"]) == (None, None, None)
    assert created["external_ref"] == "plc-1"
    assert await count_rows("audit_log", "action = 'placement' AND citizen_id = $1",
                            uuid.UUID(world.citizens["own"])) == 2


async def test_placement_straight_with_the_employer_has_no_opening(client: httpx.AsyncClient,
                                                                   world: World) -> None:
    created = await create(client, world.consultant, placement_body(world, opening_id=None, scheme="wage_subsidy"))

    assert (created["opening_id"], created["scheme"]) == (None, "wage_subsidy")


async def test_audit_records_who_did_what_but_no_personal_data(client: httpx.AsyncClient, world: World,
                                                               pool: asyncpg.Pool) -> None:
    created = await create(client, world.consultant, placement_body(world))
    await client.patch(f"/v1/placements/{created['id']}", headers=world.consultant.headers,
                       json={"end_date": "2026-03-01", "outcome": "completed", "outcome_reason": "Gik godt."})
    await client.get("/v1/placements", headers=world.consultant.headers)

    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT actor_id, action, citizen_id, jobcentre_code, detail FROM audit_log "
                                "ORDER BY id")
    assert [(row["action"], row["detail"]) for row in rows] == [
        ("placement", {"operation": "create"}),
        ("placement", {"operation": "update", "fields": ["end_date", "outcome", "outcome_reason"]}),
        ("placement", {"operation": "list"}),
    ]
    assert {(row["actor_id"], str(row["citizen_id"]), row["jobcentre_code"]) for row in rows} == {
        (world.consultant.principal.user_id, world.citizens["own"], OWN_JOBCENTRE)}


# ----- scoping -----

async def test_foreign_placement_is_indistinguishable_from_a_missing_one(client: httpx.AsyncClient,
                                                                         world: World) -> None:
    created = await create(client, world.consultant, placement_body(world))
    missing = str(uuid.uuid4())
    headers = world.foreign_consultant.headers

    for method, body in (("GET", None), ("PATCH", {"end_date": "2026-03-01"})):
        foreign = await client.request(method, f"/v1/placements/{created['id']}", headers=headers, json=body)
        absent = await client.request(method, f"/v1/placements/{missing}", headers=headers, json=body)

        assert foreign.status_code == absent.status_code == 404
        assert foreign.text.replace(created["id"], "<id>") == absent.text.replace(missing, "<id>")
    listed = await client.get("/v1/placements", headers=headers)
    assert listed.json() == {"items": [], "next_cursor": None}
    unchanged = await client.get(f"/v1/placements/{created['id']}", headers=world.consultant.headers)
    assert unchanged.json()["end_date"] is None


async def test_placing_a_foreign_citizen_is_answered_as_unknown(client: httpx.AsyncClient, world: World,
                                                                count_rows: Any) -> None:
    missing = str(uuid.uuid4())
    foreign = await client.post("/v1/placements", headers=world.consultant.headers,
                                json=placement_body(world, citizen_id=world.citizens["foreign"]))
    absent = await client.post("/v1/placements", headers=world.consultant.headers,
                               json=placement_body(world, citizen_id=missing))

    assert foreign.status_code == absent.status_code == 404
    assert foreign.text.replace(world.citizens["foreign"], "<id>") == absent.text.replace(missing, "<id>")
    assert await count_rows("placements") == 0


@pytest.mark.parametrize("role", ["admin", "employer"])
async def test_admin_and_employer_are_refused(client: httpx.AsyncClient, world: World, role: str,
                                              count_rows: Any) -> None:
    created = await create(client, world.consultant, placement_body(world))
    headers = getattr(world, role).headers
    calls = [
        ("POST", "/v1/placements", placement_body(world)),
        ("GET", "/v1/placements", None),
        ("GET", f"/v1/placements?employer_id={world.employers['lager']}", None),
        ("GET", f"/v1/placements/{created['id']}", None),
        ("PATCH", f"/v1/placements/{created['id']}", {"end_date": "2026-03-01", "outcome": "completed"}),
    ]

    for method, url, body in calls:
        response = await client.request(method, url, headers=headers, json=body)

        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["error"] == "forbidden"
        assert world.citizens["own"] not in response.text
    assert await count_rows("placements") == 1
    assert await count_rows("placements", "outcome IS NULL") == 1


async def test_without_credentials_every_route_is_401(client: httpx.AsyncClient, world: World) -> None:
    some_id = str(uuid.uuid4())
    for method, url in (("POST", "/v1/placements"), ("GET", "/v1/placements"),
                        ("GET", f"/v1/placements/{some_id}"), ("PATCH", f"/v1/placements/{some_id}")):
        response = await client.request(method, url, json=placement_body(world) if method == "POST" else None)
        assert response.status_code == 401, (method, url)


# ----- what may be placed where -----

async def test_scheme_must_be_allowed_for_the_target_group(client: httpx.AsyncClient, world: World,
                                                           count_rows: Any) -> None:
    response = await client.post("/v1/placements", headers=world.consultant.headers, json=placement_body(
        world, citizen_id=world.citizens["sick"], opening_id=None, scheme="wage_subsidy"))

    assert response.status_code == 422
    assert error_fields(response) == ["scheme"]
    assert "sygedagpenge" in response.json()["detail"]
    assert await count_rows("placements") == 0


async def test_scheme_must_be_one_the_opening_offers(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/v1/placements", headers=world.consultant.headers,
                                 json=placement_body(world, scheme="wage_subsidy"))

    assert response.status_code == 422
    assert error_fields(response) == ["scheme"]
    assert "opening" in response.json()["detail"]


async def test_opening_must_belong_to_the_employer(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/v1/placements", headers=world.consultant.headers,
                                 json=placement_body(world, opening_id=world.openings["kro"]))

    assert response.status_code == 422
    assert error_fields(response) == ["opening_id"]
    assert "another employer" in response.json()["detail"]


@pytest.mark.parametrize("field", ["employer_id", "opening_id"])
async def test_unknown_employer_or_opening_is_named(client: httpx.AsyncClient, world: World, field: str) -> None:
    response = await client.post("/v1/placements", headers=world.consultant.headers,
                                 json=placement_body(world, **{field: str(uuid.uuid4())}))

    assert response.status_code == 422
    assert error_fields(response) == [field]


async def test_suggestion_leads_to_at_most_one_placement(client: httpx.AsyncClient, world: World,
                                                         count_rows: Any) -> None:
    await create(client, world.consultant, placement_body(world, suggestion_id=world.suggestion))

    second = await client.post("/v1/placements", headers=world.consultant.headers,
                               json=placement_body(world, suggestion_id=world.suggestion))

    assert second.status_code == 409
    assert error_fields(second) == ["suggestion_id"]
    assert await count_rows("placements") == 1


async def test_suggestion_must_be_for_the_same_pair(client: httpx.AsyncClient, world: World) -> None:
    other_opening = await client.post("/v1/placements", headers=world.consultant.headers, json=placement_body(
        world, opening_id=None, suggestion_id=world.suggestion))
    other_citizen = await client.post("/v1/placements", headers=world.consultant.headers, json=placement_body(
        world, citizen_id=world.citizens["sick"], suggestion_id=world.suggestion))
    unknown = await client.post("/v1/placements", headers=world.consultant.headers, json=placement_body(
        world, suggestion_id=str(uuid.uuid4())))

    for response in (other_opening, other_citizen, unknown):
        assert response.status_code == 422
        assert error_fields(response) == ["suggestion_id"]


async def test_declined_suggestion_cannot_lead_to_a_placement(client: httpx.AsyncClient, world: World,
                                                              pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE suggestions SET state = 'declined', reason_code = 'too_far', "
                           "decided_at = now() WHERE id = $1", uuid.UUID(world.suggestion))

    response = await client.post("/v1/placements", headers=world.consultant.headers,
                                 json=placement_body(world, suggestion_id=world.suggestion))

    assert response.status_code == 422
    assert error_fields(response) == ["suggestion_id"]
    assert "declined" in response.json()["detail"]


async def test_external_ref_is_unique(client: httpx.AsyncClient, world: World) -> None:
    await create(client, world.consultant, placement_body(world, external_ref="plc-1"))

    again = await client.post("/v1/placements", headers=world.consultant.headers,
                              json=placement_body(world, external_ref="plc-1"))

    assert again.status_code == 409
    assert error_fields(again) == ["external_ref"]


# ----- how a placement ends -----

async def patch(client: httpx.AsyncClient, actor: Actor, placement_id: str, **body: Any) -> httpx.Response:
    return await client.patch(f"/v1/placements/{placement_id}", headers=actor.headers, json=body)


async def test_end_date_before_start_date_is_refused(client: httpx.AsyncClient, world: World) -> None:
    created = await create(client, world.consultant, placement_body(world, start_date="2026-02-02"))

    response = await patch(client, world.consultant, created["id"], end_date="2026-02-01")

    assert response.status_code == 422
    assert error_fields(response) == ["end_date"]
    same_day = await patch(client, world.consultant, created["id"], end_date="2026-02-02", outcome="cancelled")
    assert same_day.status_code == 200, same_day.text
    assert (same_day.json()["end_date"], same_day.json()["successful"]) == ("2026-02-02", False)


async def test_final_outcome_needs_an_end_date(client: httpx.AsyncClient, world: World) -> None:
    created = await create(client, world.consultant, placement_body(world))

    without = await patch(client, world.consultant, created["id"], outcome="hired")
    extended = await patch(client, world.consultant, created["id"], outcome="extended")
    ended = await patch(client, world.consultant, created["id"], outcome="hired", end_date="2026-05-01",
                        outcome_reason="Fastansat 30 timer.")

    assert without.status_code == 422 and error_fields(without) == ["end_date"]
    assert extended.status_code == 200 and extended.json()["end_date"] is None
    assert ended.status_code == 200, ended.text
    assert (ended.json()["outcome"], ended.json()["outcome_reason"], ended.json()["successful"]) == (
        "hired", "Fastansat 30 timer.", True)


async def test_end_date_stored_before_counts_for_the_outcome(client: httpx.AsyncClient, world: World) -> None:
    created = await create(client, world.consultant, placement_body(world))
    await patch(client, world.consultant, created["id"], end_date="2026-04-01")

    response = await patch(client, world.consultant, created["id"], outcome="dropped_out")
    unset = await patch(client, world.consultant, created["id"], end_date=None)

    assert response.status_code == 200, response.text
    assert (response.json()["end_date"], response.json()["outcome"]) == ("2026-04-01", "dropped_out")
    assert unset.status_code == 422 and error_fields(unset) == ["end_date"]


@pytest.mark.parametrize("outcome", list(Outcome))
async def test_open_placement_may_get_any_outcome(client: httpx.AsyncClient, world: World,
                                                  outcome: Outcome) -> None:
    created = await create(client, world.consultant, placement_body(world))

    response = await patch(client, world.consultant, created["id"], end_date="2026-04-01", outcome=outcome.value)

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == outcome.value


@pytest.mark.parametrize("outcome", ["completed", "hired", "dropped_out", "cancelled"])
async def test_extended_placement_ends_later_with_another_outcome(client: httpx.AsyncClient, world: World,
                                                                  outcome: str) -> None:
    created = await create(client, world.consultant, placement_body(world))
    await patch(client, world.consultant, created["id"], end_date="2026-04-01", outcome="extended")

    earlier = await patch(client, world.consultant, created["id"], end_date="2026-03-15", outcome=outcome)
    later = await patch(client, world.consultant, created["id"], end_date="2026-06-30", outcome=outcome)

    assert earlier.status_code == 422 and error_fields(earlier) == ["end_date"]
    assert later.status_code == 200, later.text
    assert (later.json()["end_date"], later.json()["outcome"]) == ("2026-06-30", outcome)


FINAL_OUTCOMES = ["completed", "hired", "dropped_out", "cancelled"]


@pytest.mark.parametrize("final", FINAL_OUTCOMES)
async def test_other_outcomes_are_final(client: httpx.AsyncClient, world: World, final: str) -> None:
    created = await create(client, world.consultant, placement_body(world))
    assert (await patch(client, world.consultant, created["id"], end_date="2026-04-01",
                        outcome=final)).status_code == 200

    for other in [outcome.value for outcome in Outcome if outcome.value != final]:
        response = await patch(client, world.consultant, created["id"], outcome=other, end_date="2026-05-01")

        assert response.status_code == 409, (final, other, response.text)
        assert error_fields(response) == ["outcome"]
        assert "final" in response.json()["detail"]
    unset = await patch(client, world.consultant, created["id"], outcome=None)
    again = await patch(client, world.consultant, created["id"], outcome=final, outcome_reason="Rettet begrundelse.")

    assert unset.status_code == 409
    assert again.status_code == 200, again.text  # the same outcome again is no change
    assert (again.json()["outcome"], again.json()["end_date"]) == (final, "2026-04-01")


async def test_database_refuses_an_illegal_outcome_change(client: httpx.AsyncClient, world: World,
                                                          pool: asyncpg.Pool) -> None:
    """The rule holds for writes that bypass the service too."""
    created = await create(client, world.consultant, placement_body(world))
    await patch(client, world.consultant, created["id"], end_date="2026-04-01", outcome="hired")

    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError, match="hired -> dropped_out"):
            await conn.execute("UPDATE placements SET outcome = 'dropped_out' WHERE id = $1",
                               uuid.UUID(created["id"]))
        await conn.execute("UPDATE placements SET outcome_reason = 'ok' WHERE id = $1", uuid.UUID(created["id"]))


async def test_outcome_reason_must_not_hold_a_cpr_number(client: httpx.AsyncClient, world: World) -> None:
    created = await create(client, world.consultant, placement_body(world))

    response = await patch(client, world.consultant, created["id"], outcome_reason="Se CPR 010190-1234")

    assert response.status_code == 422 and error_fields(response) == ["outcome_reason"]


async def test_outcome_vocabulary_matches_the_check_constraint(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        definition = await conn.fetchval(
            """SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND c.conkey = ARRAY[a.attnum]
               WHERE c.contype = 'c' AND c.conrelid = 'placements'::regclass AND a.attname = 'outcome'""")

    assert set(re.findall(r"'([^']*)'::text", definition)) == {outcome.value for outcome in Outcome}


# ----- listing -----

async def test_listing_pages_through_the_jobcentres_placements(client: httpx.AsyncClient, world: World) -> None:
    own = [await create(client, world.consultant, placement_body(world)) for _ in range(3)]
    own += [await create(client, world.consultant, placement_body(
        world, citizen_id=world.citizens["sick"], employer_id=world.employers["kro"], opening_id=world.openings["kro"]))
        for _ in range(2)]
    await create(client, world.foreign_consultant, placement_body(
        world, citizen_id=world.citizens["foreign"], employer_id=world.employers["kro"],
        opening_id=world.openings["kro"]))

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/v1/placements", headers=world.consultant.headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == sorted(item["id"] for item in own)
    by_citizen = await client.get("/v1/placements", headers=world.consultant.headers,
                                  params={"citizen_id": world.citizens["sick"]})
    by_employer = await client.get("/v1/placements", headers=world.consultant.headers,
                                   params={"employer_id": world.employers["lager"]})
    foreign_citizen = await client.get("/v1/placements", headers=world.consultant.headers,
                                       params={"citizen_id": world.citizens["foreign"]})
    assert {item["id"] for item in by_citizen.json()["items"]} == {item["id"] for item in own[3:]}
    assert {item["id"] for item in by_employer.json()["items"]} == {item["id"] for item in own[:3]}
    assert foreign_citizen.json()["items"] == []


async def test_listing_refuses_a_made_up_cursor(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/v1/placements", headers=world.consultant.headers, params={"cursor": "!!"})

    assert response.status_code == 422
    assert error_fields(response) == ["cursor"]
