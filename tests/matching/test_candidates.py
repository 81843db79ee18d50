"""Candidates for an opening: only the consultant's own jobcentre's citizens, ranked, never for employers."""

from typing import Any

import pytest

from core.vocab import Role
from matching import service
from tests.conftest import Actor
from tests.factories import error_fields
from tests.matching.conftest import World, warehouse_opening, warehouse_worker


async def test_candidates_rank_own_citizens_and_never_another_jobcentres(world: World, make_actor: Any) -> None:
    employer = await world.employer(postcode="2650")
    opening = await world.opening(employer, **warehouse_opening())
    skilled = await world.citizen(**warehouse_worker())
    unskilled = await world.citizen(**warehouse_worker(skills=[], experience=[], wishes={}))
    heavy_limited = await world.citizen(**warehouse_worker(limitations=["no_heavy_lifting"],
                                                           limitations_consent=True))
    other_consultant: Actor = await make_actor(Role.CONSULTANT, jobcentre=167)
    foreign = await World(world.client, other_consultant).citizen(**warehouse_worker())

    response = await world.client.get(f"/v1/openings/{opening['id']}/candidates", headers=world.consultant.headers)

    assert response.status_code == 200, response.text
    ranked = [item["citizen"]["id"] for item in response.json()["items"]]
    assert set(ranked[:2]) == {skilled["id"], heavy_limited["id"]}  # the same skills; the limitation is no clash
    assert ranked[2] == unskilled["id"]
    assert set(ranked) == {skilled["id"], unskilled["id"], heavy_limited["id"]}
    assert foreign["id"] not in ranked
    theirs = await world.client.get(f"/v1/openings/{opening['id']}/candidates", headers=other_consultant.headers)
    assert [item["citizen"]["id"] for item in theirs.json()["items"]] == [foreign["id"]]
    assert all(item["opening"]["id"] == opening["id"] for item in response.json()["items"])


async def test_candidates_respect_the_hard_rules(world: World) -> None:
    employer = await world.employer(postcode="2650")
    opening = await world.opening(employer, **warehouse_opening(physical_demands="high", schemes=["ordinary"]))
    fine = await world.citizen(**warehouse_worker(target_group="dagpenge"))
    await world.citizen(**warehouse_worker(limitations=["no_heavy_lifting"], limitations_consent=True))
    await world.citizen(**warehouse_worker(postcode="9000"))
    await world.citizen(**warehouse_worker(target_group="ledighedsydelse"))  # flexjob/internship only

    response = await world.client.get(f"/v1/openings/{opening['id']}/candidates", headers=world.consultant.headers)

    assert [item["citizen"]["id"] for item in response.json()["items"]] == [fine["id"]]


async def test_employers_and_admins_cannot_ask_for_candidates(world: World, make_actor: Any) -> None:
    employer = await world.employer()
    opening = await world.opening(employer, **warehouse_opening())
    owner: Actor = await make_actor(Role.EMPLOYER, employer=employer["id"])
    admin: Actor = await make_actor(Role.ADMIN)

    for actor in (owner, admin):
        response = await world.client.get(f"/v1/openings/{opening['id']}/candidates", headers=actor.headers)
        assert response.status_code == 403, actor.principal.role


async def test_candidates_bad_input(world: World) -> None:
    employer = await world.employer()
    opening = await world.opening(employer, **warehouse_opening(schemes=["ordinary"]))
    missing = await world.client.get("/v1/openings/00000000-0000-4000-8000-000000000000/candidates",
                                     headers=world.consultant.headers)
    assert missing.status_code == 404
    for params, field in (({"limit": 0}, "limit"), ({"scheme": "internship"}, "scheme"), ({"scheme": "x"}, "scheme")):
        response = await world.client.get(f"/v1/openings/{opening['id']}/candidates",
                                          headers=world.consultant.headers, params=params)
        assert response.status_code == 422, params
        assert error_fields(response) == [field]


async def test_an_opening_not_encoded_yet_gets_the_nearest_citizens_and_a_warning(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    employer = await world.employer(postcode="2650")
    opening = await world.opening(employer, **warehouse_opening())
    # Citizens without occupations, from Hvidovre outwards: nothing but distance can choose among them.
    citizens = [await world.citizen(**warehouse_worker(postcode=code, experience=[], wishes={}))
                for code in ("2650", "2500", "2000", "2100", "2900")]
    monkeypatch.setattr(service, "EXACT_LIMIT", 3)  # five eligible: retrieval goes beyond scoring them all
    monkeypatch.setattr(service, "DENSE_K", 2)

    response = await world.client.get(f"/v1/openings/{opening['id']}/candidates", headers=world.consultant.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["retrieval"] == "approximate"
    assert {item["citizen"]["id"] for item in body["items"]} == {citizens[0]["id"], citizens[1]["id"]}
    assert [warning["code"] for warning in body["warnings"]] == ["opening_not_encoded"]
