"""Schedules: set over the API, registered as APScheduler cron jobs that start the week's run once."""

import datetime as dt
from typing import Any

import asyncpg

from batch import service
from batch.scheduler import BatchScheduler, run_job_id
from tests.batch.conftest import JOBCENTRE, Jobcentre, populate
from tests.factories import error_fields


async def test_a_schedule_registers_a_cron_job_that_starts_the_weeks_run_once(
        jobcentre: Jobcentre, pool: asyncpg.Pool, count_rows: Any) -> None:
    await populate(jobcentre, citizens=1, employers=1)
    response = await jobcentre.client.put(f"/v1/batch-schedules/{JOBCENTRE}", headers=jobcentre.admin.headers,
                                          json={"weekday": "wed", "time": "06:30", "k": 2, "c": 2})
    assert response.status_code == 200, response.text
    schedule = response.json()
    next_run = dt.datetime.fromisoformat(schedule["next_run_at"])
    assert next_run.isoweekday() == 3 and (next_run.hour, next_run.minute) == (6, 30)
    assert next_run > dt.datetime.now(dt.UTC)

    batch = BatchScheduler(pool)
    await batch.start(paused=True)
    try:
        job = batch.scheduler.get_job(run_job_id(JOBCENTRE))
        assert job is not None
        fields = {field.name: str(field) for field in job.trigger.fields}
        assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("wed", "6", "30")
        assert str(job.trigger.timezone) == "Europe/Copenhagen"
        assert job.next_run_time == next_run

        await job.func(*job.args)
        await job.func(*job.args)  # firing twice (two schedulers, or a restart) starts no second run
        async with pool.acquire() as conn:
            runs = await conn.fetch("SELECT iso_week, origin, k, c, state FROM batch_runs")
        assert [(r["iso_week"], r["origin"], r["k"], r["c"], r["state"]) for r in runs] == [
            (service.week_of(service.today_in_copenhagen()), "schedule", 2, 2.0, "queued")]

        disabled = await jobcentre.client.put(f"/v1/batch-schedules/{JOBCENTRE}", headers=jobcentre.admin.headers,
                                              json={"weekday": "wed", "time": "06:30", "enabled": False})
        assert disabled.json()["next_run_at"] is None
        await batch.reload()
        assert batch.scheduler.get_job(run_job_id(JOBCENTRE)) is None
        await job.func(*job.args)
        assert await count_rows("batch_runs") == 1
    finally:
        batch.shutdown()


async def test_only_the_jobcentres_admin_sets_its_schedule(jobcentre: Jobcentre) -> None:
    consultant = jobcentre.consultants[0]
    body = {"weekday": "mon", "time": "06:00"}
    refused = await jobcentre.client.put(f"/v1/batch-schedules/{JOBCENTRE}", headers=consultant.headers, json=body)
    assert refused.status_code == 403
    missing = await jobcentre.client.get(f"/v1/batch-schedules/{JOBCENTRE}", headers=consultant.headers)
    assert missing.status_code == 404
    bad = await jobcentre.client.put(f"/v1/batch-schedules/{JOBCENTRE}", headers=jobcentre.admin.headers,
                                     json={"weekday": "someday", "time": "25:00"})
    assert bad.status_code == 422 and set(error_fields(bad)) == {"weekday", "time"}
    assert (await jobcentre.client.put(f"/v1/batch-schedules/{JOBCENTRE}", headers=jobcentre.admin.headers,
                                       json=body)).status_code == 200
    shown = await jobcentre.client.get(f"/v1/batch-schedules/{JOBCENTRE}", headers=consultant.headers)
    assert shown.status_code == 200 and shown.json()["weekday"] == "mon" and shown.json()["k"] == 3
