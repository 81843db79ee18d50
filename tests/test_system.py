"""Liveness, readiness (database and Redis) and Prometheus metrics."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from core.config import Settings
from core.vocab import Role


async def test_healthz_answers_without_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database_and_redis_ready(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": "ok", "redis": "ok"}}


@pytest.fixture
async def client_with_dead_redis(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app configured with a Redis unix socket nobody listens on."""
    dead = settings.model_copy(update={"redis_url": f"unix://{tmp_path / 'nobody-listens.sock'}"})
    app = create_app(dead)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_readyz_is_503_when_redis_is_down_and_names_it(client_with_dead_redis: httpx.AsyncClient) -> None:
    response = await client_with_dead_redis.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("unavailable: ")


async def test_requests_succeed_while_redis_is_down(client_with_dead_redis: httpx.AsyncClient,
                                                    make_actor: Any) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)

    response = await client_with_dead_redis.get("/v1/employers", headers=consultant.headers)

    assert response.status_code == 200


async def test_metrics_count_requests_by_route_template_not_concrete_path(client: httpx.AsyncClient,
                                                                          make_actor: Any) -> None:
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    missing = uuid.uuid4()
    for _ in range(2):
        await client.get(f"/v1/employers/{missing}", headers=consultant.headers)
    await client.get("/healthz")
    await client.get("/no-such-page")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'brobygger_http_requests_total{method="GET",route="/v1/employers/{employer_id}",status="404"} 2.0' in text
    assert 'brobygger_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'brobygger_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'brobygger_http_request_duration_seconds_count{method="GET",route="/healthz"} 1.0' in text
    assert str(missing) not in text
