"""Who may call which route: every route as every role, for their own and a foreign jobcentre/employer."""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from core.vocab import Role
from tests.conftest import TEST_SECRET, Actor
from tests.factories import VALID_CVRS, citizen_body, employer_body, error_fields, opening_body
from users import service as users

OWN_JOBCENTRE = 101  # København
FOREIGN_JOBCENTRE = 751  # Aarhus
ROLES = (Role.CONSULTANT, Role.JOBCENTRE_ADMIN, Role.ADMIN, Role.EMPLOYER)


@dataclass
class World:
    """Two employers with an opening each, and a citizen in the callers' jobcentre and one in another."""

    actors: dict[Role, Actor]
    employers: dict[str, str]
    openings: dict[str, str]
    citizens: dict[str, str]
    citizen_references: dict[str, str]

    def target(self, scope: str) -> dict[str, str]:
        if scope == "-":
            return {"employer": "", "opening": "", "citizen": ""}
        return {"employer": self.employers[scope], "opening": self.openings[scope],
                "citizen": self.citizens[scope]}


async def insert(conn: asyncpg.Connection, table: str, **values: Any) -> str:
    columns = ", ".join(values)
    placeholders = ", ".join(f"${index}" for index in range(1, len(values) + 1))
    row_id = await conn.fetchval(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id",
                                 *values.values())
    return str(row_id)


@pytest.fixture
async def world(pool: asyncpg.Pool, make_actor: Any) -> World:
    """Written straight to the database: the routes under test are the ones the matrix calls."""
    async with pool.acquire() as conn:
        employers = {
            "own": await insert(conn, "employers", cvr=VALID_CVRS[0], name="Egen Lager ApS", postcode="2650"),
            "foreign": await insert(conn, "employers", cvr=VALID_CVRS[1], name="Anden Kro A/S", postcode="8000"),
        }
        openings = {
            scope: await insert(conn, "openings", employer_id=uuid.UUID(employer_id), title=f"Stilling {scope}",
                                schemes=["ordinary"], hours_min=20, hours_max=37, slots=1, postcode="2650",
                                physical_demands="medium")
            for scope, employer_id in employers.items()
        }
        references = {"own": "OWN-CASE-0001", "foreign": "FOREIGN-CASE-0001"}
        citizens = {
            scope: await insert(conn, "citizens", jobcentre_code=jobcentre, reference=references[scope],
                                postcode="2200", target_group="kontanthjaelp", max_commute_km=20, hours_min=15,
                                hours_max=30, schemes=["internship", "ordinary"])
            for scope, jobcentre in (("own", OWN_JOBCENTRE), ("foreign", FOREIGN_JOBCENTRE))
        }
    actors = {
        Role.CONSULTANT: await make_actor(Role.CONSULTANT, jobcentre=OWN_JOBCENTRE),
        Role.JOBCENTRE_ADMIN: await make_actor(Role.JOBCENTRE_ADMIN, jobcentre=OWN_JOBCENTRE),
        Role.ADMIN: await make_actor(Role.ADMIN),
        Role.EMPLOYER: await make_actor(Role.EMPLOYER, employer=uuid.UUID(employers["own"])),
    }
    return World(actors, employers, openings, citizens, references)


Body = Callable[[], dict[str, Any]] | None
ROUTES: dict[str, tuple[str, str, Body]] = {
    "create_employer": ("POST", "/v1/employers", lambda: employer_body(cvr=VALID_CVRS[2], name="Ny Virksomhed")),
    "list_employers": ("GET", "/v1/employers", None),
    "get_employer": ("GET", "/v1/employers/{employer}", None),
    "update_employer": ("PATCH", "/v1/employers/{employer}", lambda: {"capacity": 7}),
    "create_opening": ("POST", "/v1/employers/{employer}/openings", lambda: opening_body(title="Ny stilling")),
    "list_openings": ("GET", "/v1/openings", None),
    "list_openings_filtered": ("GET", "/v1/openings?employer={employer}&status=open", None),
    "get_opening": ("GET", "/v1/openings/{opening}", None),
    "update_opening": ("PATCH", "/v1/openings/{opening}", lambda: {"slots": 5}),
    "create_citizen": ("POST", "/v1/citizens", lambda: citizen_body(reference="NEW-CASE-0001")),
    "list_citizens": ("GET", "/v1/citizens", None),
    "get_citizen": ("GET", "/v1/citizens/{citizen}", None),
    "update_citizen": ("PATCH", "/v1/citizens/{citizen}", lambda: {"hours_max": 35}),
    "erase_citizen": ("DELETE", "/v1/citizens/{citizen}", None),
}

# route, own or foreign target ("-": none), then the status for consultant, jobcentre_admin, admin, employer.
MATRIX: list[tuple[str, str, tuple[int, int, int, int]]] = [
    ("create_employer", "-", (201, 201, 201, 403)),
    ("list_employers", "-", (200, 200, 200, 200)),
    ("get_employer", "own", (200, 200, 200, 200)),
    ("get_employer", "foreign", (200, 200, 200, 404)),
    ("update_employer", "own", (200, 200, 200, 200)),
    ("update_employer", "foreign", (200, 200, 200, 404)),
    ("create_opening", "own", (201, 201, 201, 201)),
    ("create_opening", "foreign", (201, 201, 201, 404)),
    ("list_openings", "-", (200, 200, 200, 200)),
    ("list_openings_filtered", "own", (200, 200, 200, 200)),
    ("list_openings_filtered", "foreign", (200, 200, 200, 200)),
    ("get_opening", "own", (200, 200, 200, 200)),
    ("get_opening", "foreign", (200, 200, 200, 404)),
    ("update_opening", "own", (200, 200, 200, 200)),
    ("update_opening", "foreign", (200, 200, 200, 404)),
    ("create_citizen", "-", (201, 201, 403, 403)),
    ("list_citizens", "-", (200, 200, 403, 403)),
    ("get_citizen", "own", (200, 200, 403, 403)),
    ("get_citizen", "foreign", (404, 404, 403, 403)),
    ("update_citizen", "own", (200, 200, 403, 403)),
    ("update_citizen", "foreign", (404, 404, 403, 403)),
    ("erase_citizen", "own", (204, 204, 403, 403)),
    ("erase_citizen", "foreign", (404, 404, 403, 403)),
]
ROUTE_ROWS: dict[str, list[tuple[str, tuple[int, int, int, int]]]] = {}
for _route, _scope, _statuses in MATRIX:
    ROUTE_ROWS.setdefault(_route, []).append((_scope, _statuses))
CASES = [
    pytest.param(route, role, [(scope, statuses[ROLES.index(role)]) for scope, statuses in rows],
                 id=f"{route}-{role.value}")
    for route, rows in ROUTE_ROWS.items() for role in ROLES
]


async def call(client: httpx.AsyncClient, route: str, target: dict[str, str],
               headers: dict[str, str] | None) -> httpx.Response:
    method, template, body = ROUTES[route]
    return await client.request(method, template.format(**target), headers=headers,
                                json=body() if body is not None else None)


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    """Every row the routes can touch, to prove a refused call changed nothing."""
    async with pool.acquire() as conn:
        return {table: [dict(row) for row in await conn.fetch(f"SELECT * FROM {table} ORDER BY id")]
                for table in ("employers", "openings", "citizens")}


@pytest.mark.parametrize(("route", "role", "expectations"), CASES)
async def test_route_as_role(client: httpx.AsyncClient, world: World, pool: asyncpg.Pool, route: str, role: Role,
                             expectations: list[tuple[str, int]]) -> None:
    """The route called by the role, on its own target and then on a foreign one (where the route has one)."""
    for scope, expected in expectations:
        before = await snapshot(pool)
        response = await call(client, route, world.target(scope), world.actors[role].headers)

        assert response.status_code == expected, f"{scope}: {response.text}"
        if expected >= 400:
            error_fields(response)
            assert await snapshot(pool) == before, f"{scope}: a refused call changed stored data"
        if role is Role.EMPLOYER:
            for scope_name in ("own", "foreign"):
                assert world.citizens[scope_name] not in response.text
                assert world.citizen_references[scope_name] not in response.text
        if expected < 400:
            await assert_effect(route, scope, role, response, world, pool)


async def assert_effect(route: str, scope: str, role: Role, response: httpx.Response, world: World,
                        pool: asyncpg.Pool) -> None:
    """An allowed call did what it says, and lists show only what the caller may see."""
    body: Any = response.json() if response.content else None
    async with pool.acquire() as conn:
        if route == "list_employers":
            listed = {item["id"] for item in body["items"]}
            visible = {world.employers["own"]} if role is Role.EMPLOYER else set(world.employers.values())
            assert listed == visible
        elif route in ("list_openings", "list_openings_filtered"):
            listed = {item["id"] for item in body["items"]}
            if scope == "-":
                visible = {world.openings["own"]} if role is Role.EMPLOYER else set(world.openings.values())
            else:
                visible = set() if role is Role.EMPLOYER and scope == "foreign" else {world.openings[scope]}
            assert listed == visible
        elif route == "list_citizens":
            assert {item["id"] for item in body["items"]} == {world.citizens["own"]}
        elif route == "update_employer":
            assert await conn.fetchval("SELECT capacity FROM employers WHERE id = $1",
                                       uuid.UUID(world.employers[scope])) == 7
        elif route == "update_opening":
            assert await conn.fetchval("SELECT slots FROM openings WHERE id = $1",
                                       uuid.UUID(world.openings[scope])) == 5
        elif route == "update_citizen":
            assert await conn.fetchval("SELECT hours_max FROM citizens WHERE id = $1",
                                       uuid.UUID(world.citizens[scope])) == 35
        elif route == "erase_citizen":
            assert await conn.fetchval("SELECT count(*) FROM citizens WHERE id = $1",
                                       uuid.UUID(world.citizens[scope])) == 0
        elif route == "create_opening":
            assert body["employer_id"] == world.employers[scope]
        elif route == "create_citizen":
            assert body["jobcentre_code"] == OWN_JOBCENTRE
        elif route.startswith("get_"):
            kind = route.removeprefix("get_")
            assert body["id"] == getattr(world, kind + "s")[scope]


@pytest.mark.parametrize("route", ["get_citizen", "update_citizen", "erase_citizen"])
@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.JOBCENTRE_ADMIN])
async def test_foreign_citizen_is_indistinguishable_from_a_missing_one(
        client: httpx.AsyncClient, world: World, route: str, role: Role) -> None:
    headers = world.actors[role].headers
    missing = str(uuid.uuid4())
    foreign = await call(client, route, world.target("foreign"), headers)
    absent = await call(client, route, {"citizen": missing}, headers)

    assert foreign.status_code == absent.status_code == 404
    # The only difference may be the id the caller sent itself.
    assert foreign.text.replace(world.citizens["foreign"], "<id>") == absent.text.replace(missing, "<id>")
    assert world.citizen_references["foreign"] not in foreign.text


async def test_every_route_without_credentials_is_401(client: httpx.AsyncClient, world: World,
                                                      count_rows: Any) -> None:
    for route, scope, _ in MATRIX:
        response = await call(client, route, world.target(scope), headers=None)

        assert response.status_code == 401, f"{route} {scope}: {response.text}"
        assert response.json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await count_rows("employers"), await count_rows("openings"), await count_rows("citizens")) == (2, 2, 2)


def _jwt(principal: Any, *, secret: str = TEST_SECRET, issued: dt.datetime | None = None) -> str:
    config = users.TokenConfig(secret, dt.timedelta(hours=1))
    return users.issue_token(principal, config, now=issued)


BAD_CREDENTIALS: dict[str, Callable[[World], str]] = {
    "garbage": lambda world: "not-a-token",
    "wrong secret": lambda world: _jwt(world.actors[Role.CONSULTANT].principal, secret="x" * 40),
    "expired": lambda world: _jwt(world.actors[Role.CONSULTANT].principal,
                                  issued=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)),
    "unknown user": lambda world: _jwt(users.Principal(user_id=uuid.uuid4(), role=Role.ADMIN, name="ghost")),
    "unknown api key": lambda world: "bby_" + "A" * 43,
}


@pytest.mark.parametrize("credential", list(BAD_CREDENTIALS))
async def test_bad_credential_is_401(client: httpx.AsyncClient, world: World, credential: str) -> None:
    headers = {"Authorization": f"Bearer {BAD_CREDENTIALS[credential](world)}"}

    for route in ("list_employers", "list_citizens", "create_opening"):
        response = await call(client, route, world.target("own"), headers)

        assert response.status_code == 401, f"{route}: {response.text}"
        assert response.json()["error"] == "unauthorized"


async def test_deactivated_user_token_is_401(client: httpx.AsyncClient, world: World, pool: asyncpg.Pool) -> None:
    consultant = world.actors[Role.CONSULTANT]
    assert (await client.get("/v1/citizens", headers=consultant.headers)).status_code == 200
    async with pool.acquire() as conn:
        await conn.execute("UPDATE users SET active = false WHERE id = $1", consultant.principal.user_id)

    assert (await client.get("/v1/citizens", headers=consultant.headers)).status_code == 401


async def test_employer_api_key_works_for_own_employer_only(
        client: httpx.AsyncClient, world: World, make_actor: Any, pool: asyncpg.Pool) -> None:
    keyed = await make_actor(Role.EMPLOYER, employer=uuid.UUID(world.employers["own"]), api_key=True)
    assert keyed.credential.startswith("bby_")

    own = await client.get(f"/v1/employers/{world.employers['own']}", headers=keyed.headers)
    opening = await client.post(f"/v1/employers/{world.employers['own']}/openings", headers=keyed.headers,
                                json=opening_body(title="Via API-nøgle"))
    foreign = await client.get(f"/v1/employers/{world.employers['foreign']}", headers=keyed.headers)
    citizens = await client.get("/v1/citizens", headers=keyed.headers)

    assert own.status_code == 200 and own.json()["id"] == world.employers["own"]
    assert opening.status_code == 201 and opening.json()["employer_id"] == world.employers["own"]
    assert foreign.status_code == 404
    assert citizens.status_code == 403

    async with pool.acquire() as conn:
        await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE user_id = $1", keyed.principal.user_id)
    assert (await client.get("/v1/employers", headers=keyed.headers)).status_code == 401
