"""The ranking cache: hits for unchanged data, invalidated by writes, and never required."""

from typing import Any

import httpx
import pytest

from core.config import Settings
from tests.matching.conftest import World, clear_cache, warehouse_opening, warehouse_worker


async def test_a_repeated_request_is_served_from_the_cache(world: World, settings: Settings) -> None:
    employer = await world.employer()
    await world.opening(employer, **warehouse_opening())
    citizen = await world.citizen(**warehouse_worker())

    first = await world.ranked(citizen)
    second = await world.ranked(citizen)

    assert first == second  # same generated_at: not computed again
    assert await clear_cache(settings) >= 1


@pytest.mark.parametrize("change", ["opening", "employer", "citizen"])
async def test_a_change_invalidates_the_cached_ranking(world: World, client: httpx.AsyncClient, change: str) -> None:
    employer = await world.employer()
    opening = await world.opening(employer, **warehouse_opening())
    citizen = await world.citizen(**warehouse_worker())
    before = await world.ranked(citizen)
    assert [item["opening"]["id"] for item in before["items"]] == [opening["id"]]

    url, body = {
        "opening": (f"/v1/openings/{opening['id']}", {"status": "paused"}),
        "employer": (f"/v1/employers/{employer['id']}", {"status": "paused"}),
        "citizen": (f"/v1/citizens/{citizen['id']}", {"max_commute_km": 1, "postcode": "9000"}),
    }[change]
    response = await client.patch(url, headers=world.consultant.headers, json=body)
    assert response.status_code == 200, response.text

    after = await world.ranked(citizen)
    assert opening["id"] not in [item["opening"]["id"] for item in after["items"] if item["opening"]]


async def test_a_new_opening_shows_up_at_once(world: World) -> None:
    employer = await world.employer()
    citizen = await world.citizen(**warehouse_worker())
    assert [item for item in (await world.ranked(citizen))["items"] if item["opening"]] == []

    opening = await world.opening(employer, **warehouse_opening())

    assert opening["id"] in [item["opening"]["id"] for item in (await world.ranked(citizen))["items"]
                             if item["opening"]]


async def test_requests_succeed_while_redis_is_down(world: World, client: httpx.AsyncClient) -> None:
    employer = await world.employer()
    await world.opening(employer, **warehouse_opening())
    citizen = await world.citizen(**warehouse_worker())
    app: Any = client._transport.app  # type: ignore[attr-defined]
    healthy = app.state.redis
    import redis.asyncio as aioredis

    app.state.redis = aioredis.from_url("redis://127.0.0.1:1", socket_timeout=0.2, socket_connect_timeout=0.2)
    try:
        response = await world.suggestions(citizen)
    finally:
        await app.state.redis.aclose()
        app.state.redis = healthy

    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 1
