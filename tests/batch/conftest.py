"""A jobcentre to run weekly batches for: an admin, consultants, employers with openings, citizens; built
over the API. Runs are carried out in-process (`run_steps`) unless a test starts real workers."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from batch import service
from batch.service import Step
from core.config import Settings
from core.vocab import Role
from tests.conftest import Actor
from tests.factories import VALID_CVRS, citizen_body, employer_body, unique_ref
from tests.matching.conftest import warehouse_opening, warehouse_worker

JOBCENTRE = 101
OTHER_JOBCENTRE = 751
# A week the tests may always ask for: the current one.
THIS_WEEK = service.week_of(service.today_in_copenhagen())


@dataclass
class Jobcentre:
    client: httpx.AsyncClient
    admin: Actor
    consultants: list[Actor]
    code: int = JOBCENTRE
    employers: list[dict[str, Any]] = field(default_factory=list)
    openings: list[dict[str, Any]] = field(default_factory=list)
    citizens: list[dict[str, Any]] = field(default_factory=list)
    _cvr: int = 0

    async def employer(self, **overrides: Any) -> dict[str, Any]:
        cvr = VALID_CVRS[self._cvr % len(VALID_CVRS)]
        self._cvr += 1
        body = employer_body(cvr=cvr, external_ref=unique_ref("emp"), **overrides)
        response = await self.client.post("/v1/employers", headers=self.consultants[0].headers, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        self.employers.append(created)
        return created

    async def opening(self, employer: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(f"/v1/employers/{employer['id']}/openings",
                                          headers=self.consultants[0].headers, json=warehouse_opening(**overrides))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        self.openings.append(created)
        return created

    async def citizen(self, consultant: Actor | None = None, **overrides: Any) -> dict[str, Any]:
        actor = consultant or self.consultants[0]
        body = citizen_body(**warehouse_worker(reference=f"B-{uuid.uuid4().hex[:8]}",
                                               consultant_id=str(actor.principal.user_id), **overrides))
        body.pop("education_level", None)
        response = await self.client.post("/v1/citizens", headers=actor.headers, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        self.citizens.append(created)
        return created

    async def request(self, actor: Actor | None = None, **body: Any) -> httpx.Response:
        payload = {"jobcentre": self.code, "week": THIS_WEEK, **body}
        return await self.client.post("/v1/batch-runs", headers=(actor or self.admin).headers, json=payload)

    async def run(self, actor: Actor | None = None, **body: Any) -> dict[str, Any]:
        response = await self.request(actor, **body)
        assert response.status_code in (200, 202), response.text
        result: dict[str, Any] = response.json()
        return result

    async def get(self, run_id: str, actor: Actor | None = None) -> httpx.Response:
        return await self.client.get(f"/v1/batch-runs/{run_id}", headers=(actor or self.admin).headers)

    async def suggestions(self, run_id: str, actor: Actor | None = None, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            response = await self.client.get(f"/v1/batch-runs/{run_id}/suggestions",
                                             headers=(actor or self.consultants[0]).headers, params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


@pytest.fixture
async def jobcentre(client: httpx.AsyncClient, make_actor: Any) -> Jobcentre:
    admin = await make_actor(Role.JOBCENTRE_ADMIN, jobcentre=JOBCENTRE)
    consultants = [await make_actor(Role.CONSULTANT, jobcentre=JOBCENTRE) for _ in range(2)]
    return Jobcentre(client, admin, consultants)


async def populate(place: Jobcentre, *, citizens: int = 6, employers: int = 3, slots: int = 1) -> None:
    """Warehouse employers with one opening each (`slots` slots) and warehouse workers split over the
    two consultants: more citizens than room, so capacity binds."""
    for number in range(employers):
        employer = await place.employer(name=f"Lager {number} ApS", capacity=0)
        await place.opening(employer, title=f"Lagermedarbejder {number}", slots=slots)
    for number in range(citizens):
        await place.citizen(place.consultants[number % len(place.consultants)])


async def run_steps(pool: asyncpg.Pool, settings: Settings, run: dict[str, Any]) -> None:
    """Carry the run through all its steps in this process, as the workers would."""
    await service.run_inline(pool, Step("start", uuid.UUID(run["id"]), run["attempt"]), encoder=settings.encoder)
