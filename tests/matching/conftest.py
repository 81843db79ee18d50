"""A small world to match in: a consultant, employers with openings, citizens; built over the API."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from core.config import Settings
from core.vocab import Role
from tests.conftest import Actor
from tests.factories import VALID_CVRS, citizen_body, employer_body, opening_body, unique_ref

WAREHOUSE_WORKER = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"
BAKER = "http://data.europa.eu/esco/occupation/1aadb308-432a-4d01-b54b-b4f7f76dd419"
FORKLIFT = "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da"


@dataclass
class World:
    client: httpx.AsyncClient
    consultant: Actor
    _cvr: int = 0

    async def employer(self, **overrides: Any) -> dict[str, Any]:
        cvr = VALID_CVRS[self._cvr % len(VALID_CVRS)]
        self._cvr += 1
        body = employer_body(cvr=cvr, external_ref=unique_ref("emp"), **overrides)
        response = await self.client.post("/v1/employers", headers=self.consultant.headers, json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def opening(self, employer: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(f"/v1/employers/{employer['id']}/openings",
                                          headers=self.consultant.headers, json=opening_body(**overrides))
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def citizen(self, **overrides: Any) -> dict[str, Any]:
        body = citizen_body(reference=unique_ref("T"), **overrides)
        response = await self.client.post("/v1/citizens", headers=self.consultant.headers, json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def suggestions(self, citizen: dict[str, Any], actor: Actor | None = None,
                          **params: Any) -> httpx.Response:
        return await self.client.get(f"/v1/citizens/{citizen['id']}/suggestions",
                                     headers=(actor or self.consultant).headers, params=params)

    async def ranked(self, citizen: dict[str, Any], **params: Any) -> dict[str, Any]:
        response = await self.suggestions(citizen, **params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def warehouse_worker(**overrides: Any) -> dict[str, Any]:
    """A forklift-certified warehouse worker in Hvidovre with no limitations or needs."""
    body: dict[str, Any] = {
        "postcode": "2650", "skills": [{"uri": FORKLIFT}],
        "experience": [{"occupation_uri": WAREHOUSE_WORKER, "years": 4}],
        "wishes": {"occupations": [{"uri": WAREHOUSE_WORKER}], "text": "Lager og logistik"},
        "max_commute_km": 30, "hours_min": 20, "hours_max": 37, "limitations": [], "limitations_consent": False,
        "needs": [],
    }
    body.update(overrides)
    return body


def warehouse_opening(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Lagermedarbejder", "occupation_uri": WAREHOUSE_WORKER,
        "skills": [{"uri": FORKLIFT, "essential": True}], "schemes": ["internship", "ordinary"],
        "hours_min": 20, "hours_max": 37, "slots": 2, "physical_demands": "medium", "work_conditions": [],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def world(client: httpx.AsyncClient, make_actor: Any) -> World:
    consultant: Actor = await make_actor(Role.CONSULTANT, jobcentre=101)
    return World(client, consultant)


async def clear_cache(settings: Settings) -> int:
    """Delete this test's cached rankings (its own Redis key prefix); returns how many."""
    assert settings.redis_url is not None
    client = aioredis.from_url(settings.redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{settings.redis_prefix}cache:*")]
        return int(await client.delete(*keys)) if keys else 0
    finally:
        await client.aclose()
