"""The supervisor: steps lost with the queue (a Redis restart, a dead worker) are sent again, and a run
that cannot move fails with a reason instead of staying 'running' or claiming to be done."""

import datetime as dt
import uuid

import asyncpg

from batch import service
from batch.service import Step
from core.config import Settings
from tests.batch.conftest import Jobcentre, populate

NOW = dt.timedelta(0)


async def test_lost_steps_are_sent_again_and_the_run_completes(jobcentre: Jobcentre, pool: asyncpg.Pool,
                                                               settings: Settings) -> None:
    await populate(jobcentre, citizens=4, employers=2)
    run = await jobcentre.run()
    run_id = uuid.UUID(run["id"])
    # The start step ran, then the queue lost the scoring shards it sent.
    shards = await service.execute(pool, Step("start", run_id, 1), encoder=settings.encoder, worker="test")
    assert [step.stage for step in shards] == ["scoring"]

    resent = await service.supervise(pool, stale_after=NOW)
    assert resent == shards
    assert await service.supervise(pool, stale_after=dt.timedelta(minutes=5)) == []  # just re-sent: not stale
    pending = list(resent)
    while pending:
        pending += await service.execute(pool, pending.pop(0), encoder=settings.encoder, worker="test")
    finished = (await jobcentre.get(run["id"])).json()
    assert finished["state"] == "done" and finished["progress"]["done"] == finished["progress"]["total"]


async def test_a_run_that_never_moves_fails_with_a_reason(jobcentre: Jobcentre, pool: asyncpg.Pool,
                                                          settings: Settings) -> None:
    await populate(jobcentre, citizens=2, employers=1)
    run = await jobcentre.run()
    await service.execute(pool, Step("start", uuid.UUID(run["id"]), 1), encoder=settings.encoder, worker="test")

    for _ in range(service.MAX_RESENDS):
        assert await service.supervise(pool, stale_after=NOW)  # no worker ever takes them
    assert await service.supervise(pool, stale_after=NOW) == []

    failed = (await jobcentre.get(run["id"])).json()
    assert failed["state"] == "failed" and "are workers running" in failed["error"]
    assert failed["progress"]["done"] < failed["progress"]["total"]
    response = await jobcentre.client.get(f"/v1/batch-runs/{run['id']}/suggestions",
                                          headers=jobcentre.consultants[0].headers)
    assert response.status_code == 409
