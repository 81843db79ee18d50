"""`brobygger batch run --inline` and `brobygger batch schedule` against the test's servers."""

import asyncio
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from tests.batch.conftest import JOBCENTRE, THIS_WEEK, Jobcentre, populate

runner = CliRunner()


async def invoke(*args: str) -> Result:
    """The command in a thread: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(runner.invoke, app, list(args))


@pytest.mark.usefixtures("cli_environment")
async def test_batch_run_inline_follows_the_run_to_done_and_prints_the_report(
        jobcentre: Jobcentre, pool: asyncpg.Pool, count_rows: Any) -> None:
    await populate(jobcentre, citizens=3, employers=2)

    result = await invoke("batch", "run", "--jobcentre", str(JOBCENTRE), "--week", THIS_WEEK, "--k", "2", "--inline")

    assert result.exit_code == 0, result.output
    assert "capacity-aware" in result.output and "plain top-k" in result.output
    async with pool.acquire() as conn:
        run = await conn.fetchrow("SELECT id, state, origin, k FROM batch_runs")
    assert (run["state"], run["origin"], run["k"]) == ("done", "cli", 2)
    assert str(run["id"]) in result.output
    assert await count_rows("batch_suggestions") > 0

    again = await invoke("batch", "run", "--jobcentre", str(JOBCENTRE), "--week", THIS_WEEK, "--inline")
    assert again.exit_code == 0 and "already has run" in again.output
    bad = await invoke("batch", "run", "--jobcentre", "998", "--inline")
    assert bad.exit_code == 2 and "no jobcentre with kommune code 998" in bad.output


@pytest.mark.usefixtures("cli_environment")
async def test_batch_schedule_sets_the_weekday_and_time(jobcentre: Jobcentre, pool: asyncpg.Pool) -> None:
    result = await invoke("batch", "schedule", "--jobcentre", str(JOBCENTRE), "--weekday", "fri", "--time", "07:15")
    assert result.exit_code == 0, result.output
    assert "next run Friday" in result.output
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT weekday, at_time::text AS at_time, enabled FROM batch_schedules")
    assert (row["weekday"], row["at_time"], row["enabled"]) == (5, "07:15:00", True)
