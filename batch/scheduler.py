"""Weekly schedules registered with APScheduler: one cron job per enabled jobcentre schedule (weekday and
time, Copenhagen) that enqueues the week's run, a job that re-reads the schedules every minute, and the
supervisor that re-sends the steps of stalled runs. `brobygger scheduler` runs it.

Firing is idempotent (the database holds one run per jobcentre and week), so running two schedulers,
or one that restarts and fires again, starts no second run.
"""

import datetime as dt
import logging

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from batch import service, tasks
from batch.schemas import Schedule
from core.db import transaction

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 60
SUPERVISE_SECONDS = 30
RUN_JOB_PREFIX = "batch-run:"


def run_job_id(jobcentre_code: int) -> str:
    return f"{RUN_JOB_PREFIX}{jobcentre_code}"


def trigger_for(schedule: Schedule) -> CronTrigger:
    return CronTrigger(day_of_week=schedule.weekday.value, hour=schedule.time.hour, minute=schedule.time.minute,
                       timezone=service.COPENHAGEN)


class BatchScheduler:
    """The jobs of one scheduler process, on an AsyncIOScheduler sharing the process's pool."""

    def __init__(self, pool: asyncpg.Pool, *, stale_after: dt.timedelta = service.STALE_AFTER,
                 reload_seconds: float = RELOAD_SECONDS, supervise_seconds: float = SUPERVISE_SECONDS) -> None:
        self.pool = pool
        self.stale_after = stale_after
        self.scheduler = AsyncIOScheduler(timezone=service.COPENHAGEN,
                                          job_defaults={"coalesce": True, "misfire_grace_time": 3600})
        self.scheduler.add_job(self.reload, IntervalTrigger(seconds=reload_seconds), id="batch-reload-schedules")
        self.scheduler.add_job(self.supervise, IntervalTrigger(seconds=supervise_seconds), id="batch-supervise")

    def register(self, schedules: list[Schedule]) -> None:
        """Make the cron jobs match the schedules: add or replace each one, remove those gone or disabled."""
        wanted = {run_job_id(schedule.jobcentre): schedule for schedule in schedules if schedule.enabled}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(RUN_JOB_PREFIX) and job.id not in wanted:
                job.remove()
        for job_id, schedule in wanted.items():
            self.scheduler.add_job(self.fire, trigger_for(schedule), args=[schedule.jobcentre], id=job_id,
                                   replace_existing=True, name=f"weekly batch run for jobcentre {schedule.jobcentre}")

    async def reload(self) -> None:
        async with self.pool.acquire() as conn:
            self.register(await service.enabled_schedules(conn))

    async def fire(self, jobcentre_code: int) -> None:
        """Start the week's run for the jobcentre, unless it has one."""
        async with transaction(self.pool) as conn:
            steps = await service.scheduled_run(conn, jobcentre_code, dt.datetime.now(service.COPENHAGEN))
        await tasks.send_after_commit(steps)
        if steps:
            logger.info("weekly batch run for jobcentre %d queued", jobcentre_code)

    async def supervise(self) -> None:
        await tasks.send_after_commit(await service.supervise(self.pool, self.stale_after))

    async def start(self, *, paused: bool = False) -> None:
        await self.reload()
        self.scheduler.start(paused=paused)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
