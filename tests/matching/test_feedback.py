"""Feedback on suggestions: the state machine, in the service and in the database."""

from typing import Any

import asyncpg
import pytest

from core.vocab import Role
from tests.conftest import Actor
from tests.factories import error_fields
from tests.matching.conftest import World, warehouse_opening, warehouse_worker


async def _suggestion(world: World) -> tuple[dict[str, Any], str]:
    employer = await world.employer()
    await world.opening(employer, **warehouse_opening())
    citizen = await world.citizen(**warehouse_worker())
    ranked = await world.ranked(citizen)
    return citizen, ranked["items"][0]["suggestion_id"]


async def _feedback(world: World, suggestion_id: str, body: dict[str, Any], actor: Actor | None = None) -> Any:
    return await world.client.post(f"/v1/suggestions/{suggestion_id}/feedback",
                                   headers=(actor or world.consultant).headers, json=body)


async def test_contacted_then_accepted_is_recorded_with_its_history(world: World) -> None:
    citizen, suggestion_id = await _suggestion(world)

    contacted = await _feedback(world, suggestion_id, {"state": "contacted", "note": "Ringet til Mette"})
    accepted = await _feedback(world, suggestion_id, {"state": "accepted", "reason_code": "skills_match"})

    assert contacted.status_code == 200 and contacted.json()["state"] == "contacted"
    body = accepted.json()
    assert accepted.status_code == 200 and body["state"] == "accepted" and body["decided_at"]
    assert [(e["from_state"], e["to_state"]) for e in body["events"]] == [("proposed", "contacted"),
                                                                         ("contacted", "accepted")]
    again = await world.ranked(citizen)
    assert suggestion_id not in [item["suggestion_id"] for item in again["items"]]


async def test_contacted_suggestions_keep_their_state_and_snapshot_in_later_lists(world: World) -> None:
    citizen, suggestion_id = await _suggestion(world)
    await _feedback(world, suggestion_id, {"state": "contacted"})

    again = await world.ranked(citizen)

    assert [(item["suggestion_id"], item["state"]) for item in again["items"]] == [(suggestion_id, "contacted")]


@pytest.mark.parametrize(("path", "illegal"), [
    ([], "accepted"),  # proposed -> accepted skips contacting the employer
    (["contacted"], "contacted"),
    ([("declined", "too_far")], "contacted"),
    ([("declined", "too_far")], "declined"),
    (["contacted", ("accepted", None)], "declined"),
])
async def test_illegal_transitions_are_refused(world: World, path: list[Any], illegal: str) -> None:
    _, suggestion_id = await _suggestion(world)
    for step in path:
        state, reason = (step, None) if isinstance(step, str) else step
        body = {"state": state} | ({"reason_code": reason} if reason else {})
        assert (await _feedback(world, suggestion_id, body)).status_code == 200

    body = {"state": illegal} | ({"reason_code": "other"} if illegal == "declined" else {})
    response = await _feedback(world, suggestion_id, body)

    assert response.status_code == 409, response.text
    assert "cannot become" in response.json()["detail"]


async def test_the_database_refuses_an_illegal_transition_too(world: World, pool: asyncpg.Pool) -> None:
    _, suggestion_id = await _suggestion(world)
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError, match="illegal suggestion transition"):
            await conn.execute("UPDATE suggestions SET state = 'accepted', decided_at = now() WHERE id = $1",
                               suggestion_id)
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("UPDATE suggestions SET state = 'declined' WHERE id = $1", suggestion_id)


async def test_feedback_bad_input(world: World, make_actor: Any) -> None:
    _, suggestion_id = await _suggestion(world)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"state": "declined"}, "reason_code"),
        ({"state": "declined", "reason_code": "skills_match"}, "reason_code"),
        ({"state": "contacted", "reason_code": "too_far"}, "reason_code"),
        ({"state": "maybe"}, "state"),
        ({"state": "contacted", "note": "CPR 010190-1234"}, "note"),
        ({"state": "contacted", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = await _feedback(world, suggestion_id, body)
        assert response.status_code == 422, (body, response.text)
        assert field in error_fields(response), body
    other: Actor = await make_actor(Role.CONSULTANT, jobcentre=751)
    assert (await _feedback(world, suggestion_id, {"state": "contacted"}, actor=other)).status_code == 404
    missing = await _feedback(world, "00000000-0000-4000-8000-000000000000", {"state": "contacted"})
    assert missing.status_code == 404
    stored = await world.client.get(f"/v1/suggestions/{suggestion_id}", headers=world.consultant.headers)
    assert stored.json()["state"] == "proposed" and stored.json()["events"] == []
