"""Batch runs over the API, carried out in-process: results, capacity, idempotency, consultants, empty
jobcentres, the shared contact ledger and a failing shard."""

from collections import Counter
from typing import Any

import asyncpg
import pytest

from core.config import Settings
from core.vocab import Role
from tests.batch.conftest import OTHER_JOBCENTRE, THIS_WEEK, Jobcentre, populate, run_steps


async def test_a_run_suggests_up_to_k_per_citizen_within_capacity_with_explanations(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings) -> None:
    await populate(jobcentre, citizens=8, employers=3, slots=1)
    run = await jobcentre.run(k=2, c=2)
    assert run["state"] == "queued" and run["progress"] == {"done": 0, "total": 0}

    await run_steps(pool, settings, run)

    response = await jobcentre.get(run["id"])
    assert response.status_code == 200, response.text
    finished = response.json()
    assert finished["state"] == "done", finished
    assert finished["progress"]["done"] == finished["progress"]["total"] > 0
    assert set(finished["timings"]["seconds_by_stage"]) == {"scoring", "assigning", "explaining"}
    summary = finished["summary"]
    items = await jobcentre.suggestions(run["id"])
    assert len(items) == summary["assigned"]["suggestions"] == 6  # 3 openings × 1 slot × c=2
    per_citizen = Counter(item["citizen_id"] for item in items)
    assert max(per_citizen.values()) <= 2
    per_opening = Counter(item["opening"]["id"] for item in items)
    assert max(per_opening.values()) <= 2
    assert summary["assigned"]["placements_over_capacity"] == 0
    assert summary["top_k"]["placements_over_capacity"] >= 2  # 8 citizens × top-2 on 3 openings
    assert summary["top_k"]["total_score"] >= summary["assigned"]["total_score"]
    for item in items:
        assert item["explanation"] and item["reasons"], item
        assert item["scorer_version"] == finished["scorer_version"]
        assert item["consultant_id"] in {str(actor.principal.user_id) for actor in jobcentre.consultants}
    ranks = {(item["citizen_id"], item["rank"]) for item in items}
    assert len(ranks) == len(items)


async def test_the_same_jobcentre_and_week_twice_is_a_no_op_unless_forced(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings, count_rows: Any) -> None:
    await populate(jobcentre, citizens=3, employers=2)
    first = await jobcentre.run()
    again = await jobcentre.request()
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["reused"] is True

    forced_early = await jobcentre.request(force=True)
    assert forced_early.status_code == 409

    await run_steps(pool, settings, first)
    suggestions = await count_rows("batch_suggestions")
    repeated = await jobcentre.request(k=5)
    assert repeated.status_code == 200 and repeated.json()["k"] == 3 and repeated.json()["state"] == "done"
    # A job for the first attempt that arrives late finds its work done and writes nothing.
    await run_steps(pool, settings, first)
    assert await count_rows("batch_suggestions") == suggestions

    forced = await jobcentre.request(force=True, k=1)
    assert forced.status_code == 202
    rerun = forced.json()
    assert rerun["id"] == first["id"] and rerun["attempt"] == 2 and rerun["state"] == "queued"
    assert await count_rows("batch_suggestions") == 0
    await run_steps(pool, settings, first)  # the old attempt's jobs do nothing
    assert (await jobcentre.get(first["id"])).json()["state"] == "queued"
    await run_steps(pool, settings, rerun)
    assert (await jobcentre.get(first["id"])).json()["state"] == "done"
    assert await count_rows("batch_runs") == 1
    items = await jobcentre.suggestions(first["id"])
    assert len(items) == 3 and Counter(item["citizen_id"] for item in items).most_common(1)[0][1] == 1


async def test_suggestions_are_filtered_by_consultant_and_hidden_from_other_jobcentres(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings, make_actor: Any) -> None:
    await populate(jobcentre, citizens=4, employers=4, slots=2)
    run = await jobcentre.run()
    await run_steps(pool, settings, run)
    first, second = jobcentre.consultants
    everything = await jobcentre.suggestions(run["id"])
    mine = await jobcentre.suggestions(run["id"], first, consultant=str(first.principal.user_id))
    theirs = await jobcentre.suggestions(run["id"], first, consultant=str(second.principal.user_id))

    own_citizens = {c["id"] for c in jobcentre.citizens if c["consultant_id"] == str(first.principal.user_id)}
    assert mine and {item["citizen_id"] for item in mine} == own_citizens
    assert {item["id"] for item in mine} | {item["id"] for item in theirs} == {item["id"] for item in everything}
    assert not {item["id"] for item in mine} & {item["id"] for item in theirs}
    paged = await jobcentre.suggestions(run["id"], limit=1)
    assert [item["id"] for item in paged] == [item["id"] for item in everything]

    foreign = await make_actor(Role.CONSULTANT, jobcentre=OTHER_JOBCENTRE)
    assert (await jobcentre.get(run["id"], foreign)).status_code == 404
    response = await jobcentre.client.get(f"/v1/batch-runs/{run['id']}/suggestions", headers=foreign.headers)
    assert response.status_code == 404
    assert (await jobcentre.get(run["id"], first)).status_code == 200


async def test_suggestions_of_an_unfinished_run_are_refused(jobcentre: Jobcentre) -> None:
    await populate(jobcentre, citizens=1, employers=1)
    run = await jobcentre.run()
    response = await jobcentre.client.get(f"/v1/batch-runs/{run['id']}/suggestions",
                                          headers=jobcentre.consultants[0].headers)
    assert response.status_code == 409
    assert "queued" in response.json()["detail"]


async def test_a_jobcentre_without_active_citizens_gets_a_done_empty_run_with_a_message(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings) -> None:
    await populate(jobcentre, citizens=0, employers=1)
    run = await jobcentre.run()
    await run_steps(pool, settings, run)
    finished = (await jobcentre.get(run["id"])).json()
    assert finished["state"] == "done" and "no active citizens" in finished["message"]
    assert finished["summary"]["citizens"] == 0 and finished["progress"] == {"done": 0, "total": 0}
    assert await jobcentre.suggestions(run["id"]) == []


async def test_a_jobcentre_without_openings_in_reach_gets_a_done_empty_run_with_a_message(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings) -> None:
    await populate(jobcentre, citizens=2, employers=0)
    far = await jobcentre.employer(postcode="9000", capacity=0)  # Aalborg, far beyond a 30 km commute
    await jobcentre.opening(far)
    run = await jobcentre.run()
    await run_steps(pool, settings, run)
    finished = (await jobcentre.get(run["id"])).json()
    assert finished["state"] == "done" and "No open placement" in finished["message"]
    assert finished["summary"]["citizens"] == 2
    assert await jobcentre.suggestions(run["id"]) == []


async def test_the_contact_ledger_leaves_room_taken_by_another_jobcentre_in_the_same_week(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings, make_actor: Any) -> None:
    employer = await jobcentre.employer(name="Delt Lager ApS", postcode="2650", capacity=0)
    opening = await jobcentre.opening(employer, slots=1)
    for _ in range(3):
        await jobcentre.citizen()
    # Hvidovre (167) borders København: its citizens reach the same opening.
    neighbour = Jobcentre(jobcentre.client, await make_actor(Role.JOBCENTRE_ADMIN, jobcentre=167),
                          [await make_actor(Role.CONSULTANT, jobcentre=167)], code=167)
    for _ in range(3):
        await neighbour.citizen()

    first = await jobcentre.run(c=2)
    await run_steps(pool, settings, first)
    second = await neighbour.run(c=2)
    await run_steps(pool, settings, second)

    ours = await jobcentre.suggestions(first["id"])
    theirs = await neighbour.suggestions(second["id"], neighbour.consultants[0])
    assert len(ours) == 2 and all(item["opening"]["id"] == opening["id"] for item in ours)
    assert theirs == []  # c × free slots = 2 suggestions in the week, both taken
    assert (await neighbour.get(second["id"])).json()["message"].startswith("No citizen has an eligible")
    async with pool.acquire() as conn:
        ledger = await conn.fetch("SELECT jobcentre_code, contacts FROM batch_contact_ledger WHERE iso_week = $1",
                                  THIS_WEEK)
    assert [(row["jobcentre_code"], row["contacts"]) for row in ledger] == [(101, 2)]


async def test_a_failing_shard_fails_the_run_with_the_reason_and_shows_no_results(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    await populate(jobcentre, citizens=2, employers=1)

    def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise ValueError("the scorer returned NaN")

    monkeypatch.setattr("batch.service.score_citizens", broken)
    run = await jobcentre.run()
    with pytest.raises(ValueError, match="NaN"):
        await run_steps(pool, settings, run)
    failed = (await jobcentre.get(run["id"])).json()
    assert failed["state"] == "failed"
    assert failed["error"] == "scoring shard 0 failed: ValueError: the scorer returned NaN"
    assert failed["summary"] is None
    response = await jobcentre.client.get(f"/v1/batch-runs/{run['id']}/export.csv",
                                          headers=jobcentre.consultants[0].headers)
    assert response.status_code == 409 and "NaN" in response.json()["detail"]
