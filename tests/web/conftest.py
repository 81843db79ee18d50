"""A small town for the pages: two jobcentres with staff who sign in with passwords, warehouse employers
with openings, and citizens; built through the services, in the test's own database."""

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from citizens import service as citizens
from citizens.schemas import CitizenCreate
from core.config import Settings
from core.vocab import Role
from employers import service as employers
from employers.schemas import EmployerCreate, OpeningCreate
from tests.factories import VALID_CVRS, citizen_body, employer_body
from tests.matching.conftest import warehouse_opening, warehouse_worker
from users import service as users
from users.schemas import OPERATOR, Principal

PASSWORD = "test-adgangskode-1"
JOBCENTRE = 101
OTHER_JOBCENTRE = 751
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Person:
    principal: Principal
    email: str
    password: str = PASSWORD


@dataclass
class Town:
    consultant: Person
    jobcentre_admin: Person
    admin: Person
    employer_user: Person
    other_consultant: Person
    employer: Any
    other_employer: Any
    openings: list[Any] = field(default_factory=list)
    citizens: list[Any] = field(default_factory=list)
    foreign_citizen: Any = None
    foreign_opening: Any = None

    def person(self, role: Role) -> Person:
        return {Role.CONSULTANT: self.consultant, Role.JOBCENTRE_ADMIN: self.jobcentre_admin, Role.ADMIN: self.admin,
                Role.EMPLOYER: self.employer_user}[role]


async def _person(conn: asyncpg.Connection, name: str, email: str, role: Role, **scope: Any) -> Person:
    principal = await users.create_user(conn, name=name, role=role, email=email, password=PASSWORD, **scope)
    return Person(principal, email)


async def build_town(pool: asyncpg.Pool, *, citizens_count: int = 2) -> Town:
    async with pool.acquire() as conn, conn.transaction():
        employer = await employers.create_employer(conn, OPERATOR, EmployerCreate.model_validate(employer_body(
            name="Hansen Lager ApS", postcode="2650", capacity=0, external_ref="web-emp-1")))
        other_employer = await employers.create_employer(conn, OPERATOR, EmployerCreate.model_validate(
            employer_body(name="Bager Nielsen", cvr=VALID_CVRS[1], postcode="8000", external_ref="web-emp-2")))
        consultant = await _person(conn, "Anna Jensen", "konsulent@jobcenter.example", Role.CONSULTANT,
                                   jobcentre_code=JOBCENTRE)
        town = Town(
            consultant=consultant,
            jobcentre_admin=await _person(conn, "Lone Berg", "leder@jobcenter.example", Role.JOBCENTRE_ADMIN,
                                          jobcentre_code=JOBCENTRE),
            admin=await _person(conn, "Driften", "drift@brobygger.example", Role.ADMIN),
            employer_user=await _person(conn, "Mette Hansen", "mette@hansenlager.example", Role.EMPLOYER,
                                        employer_id=employer.id),
            other_consultant=await _person(conn, "Ole Holm", "konsulent@aarhus.example", Role.CONSULTANT,
                                           jobcentre_code=OTHER_JOBCENTRE),
            employer=employer, other_employer=other_employer)
        for number, (title, postcode) in enumerate((("Lagermedarbejder", "2650"), ("Pakkeriassistent", "2500"))):
            town.openings.append(await employers.create_opening(
                conn, OPERATOR, employer.id, OpeningCreate.model_validate(warehouse_opening(
                    title=title, postcode=postcode, external_ref=f"web-open-{number}"))))
        town.foreign_opening = await employers.create_opening(
            conn, OPERATOR, other_employer.id, OpeningCreate.model_validate(warehouse_opening(
                title="Bagerlærling", external_ref="web-open-x")))
        for number in range(citizens_count):
            body = citizen_body(**warehouse_worker(reference=f"BRG-{number + 1:04d}",
                                                   consultant_id=str(consultant.principal.user_id)))
            town.citizens.append(await citizens.create(conn, consultant.principal, CitizenCreate.model_validate(body)))
        foreign = citizen_body(**warehouse_worker(reference="AAR-0001", postcode="8000"))
        town.foreign_citizen = await citizens.create(conn, town.other_consultant.principal,
                                                     CitizenCreate.model_validate(foreign))
    return town


@pytest.fixture
async def town(pool: asyncpg.Pool) -> Town:
    return await build_town(pool)


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTPS (the session cookie is Secure outside development), not following redirects."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield http


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict[str, Any]) -> httpx.Response:
    """Submit a form the way a browser does: read the page for its CSRF token, then post."""
    shown = await client.get(page)
    return await client.post(action, data={"csrf_token": csrf_of(shown.text), **data})


async def sign_in(client: httpx.AsyncClient, person: Person) -> httpx.Response:
    response = await post_form(client, "/log-ind", "/log-ind", {"email": person.email, "password": person.password})
    assert response.status_code == 303, response.text
    return response


def new_id() -> str:
    return str(uuid.uuid4())
