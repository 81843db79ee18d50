"""Suggestions for a citizen: scenarios with a known right answer, rules, explanations, bad input."""

from typing import Any

import httpx
import pytest

from core.config import Settings
from core.vocab import Role
from matching import service
from tests.conftest import Actor
from tests.factories import error_fields
from tests.matching.conftest import BAKER, World, clear_cache, warehouse_opening, warehouse_worker


def _titles(ranked: dict[str, Any]) -> list[str]:
    return [item["opening"]["title"] if item["opening"] else item["employer"]["name"] for item in ranked["items"]]


async def test_forklift_warehouse_worker_ranks_the_nearby_praktik_slot_above_a_distant_bakery(world: World) -> None:
    warehouse = await world.employer(postcode="2650", name="Hvidovre Lager ApS")
    await world.opening(warehouse, **warehouse_opening(schemes=["internship"]))
    bakery = await world.employer(postcode="4000", name="Roskilde Bageri", industry="107100",
                                  offers={"physical_demands": "medium"})
    await world.opening(bakery, title="Bagermedhjælper", occupation_uri=BAKER, skills=[],
                        schemes=["internship", "ordinary"], hours_min=20, hours_max=37, work_conditions=[])
    citizen = await world.citizen(**warehouse_worker())

    ranked = await world.ranked(citizen)

    assert _titles(ranked)[:2] == ["Lagermedarbejder", "Bagermedhjælper"]
    first = ranked["items"][0]
    assert first["rank"] == 1 and first["scheme"] == "internship"
    assert first["score"] > ranked["items"][1]["score"]
    assert "1 af 1 nødvendige kompetencer" in first["explanation"]
    assert {reason["code"] for reason in first["reasons"]} >= {"skills_match", "occupation_match"}


async def test_a_citizen_who_needs_a_mentor_ranks_employers_offering_one_higher(world: World) -> None:
    plain = await world.employer(name="Uden Mentor A/S", offers={"mentor": False, "physical_demands": "medium"})
    mentor = await world.employer(name="Med Mentor A/S", offers={"mentor": True, "physical_demands": "medium"})
    await world.opening(plain, **warehouse_opening())
    await world.opening(mentor, **warehouse_opening())
    citizen = await world.citizen(**warehouse_worker(needs=["mentor"]))

    ranked = await world.ranked(citizen)

    assert [item["employer"]["name"] for item in ranked["items"]] == ["Med Mentor A/S", "Uden Mentor A/S"]
    assert "needs_unmet" not in [w["code"] for w in ranked["items"][0]["warnings"]]
    assert [w["code"] for w in ranked["items"][1]["warnings"]].count("needs_unmet") == 1
    assert all(reason["code"] != "needs_met" for reason in ranked["items"][1]["reasons"])


async def test_no_heavy_lifting_never_gets_a_heavy_demand_opening(world: World) -> None:
    employer = await world.employer()
    await world.opening(employer, **warehouse_opening(title="Tunge løft", physical_demands="high"))
    await world.opening(employer, **warehouse_opening(title="Løft i skift", work_conditions=["heavy_lifting"]))
    await world.opening(employer, **warehouse_opening(title="Let lager", physical_demands="low"))
    citizen = await world.citizen(**warehouse_worker(limitations=["no_heavy_lifting"], limitations_consent=True))

    ranked = await world.ranked(citizen, include_excluded="true")

    assert _titles(ranked) == ["Let lager"]
    excluded = {item["opening"]["title"]: [rule["code"] for rule in item["exclusions"]] for item in ranked["excluded"]}
    assert excluded == {"Tunge løft": ["limitation_conflict"], "Løft i skift": ["limitation_conflict"]}


async def test_paused_full_expired_and_closed_openings_never_appear(world: World, client: httpx.AsyncClient) -> None:
    employer = await world.employer()
    paused_employer = await world.employer(name="Holder Pause ApS", status="paused")
    await world.opening(employer, **warehouse_opening(title="Åben"))
    await world.opening(employer, **warehouse_opening(title="Pause", status="paused"))
    await world.opening(employer, **warehouse_opening(title="Fuld", slots=0))
    await world.opening(employer, **warehouse_opening(title="Udløbet", start_date="2020-01-01",
                                                      expires_on="2020-02-01"))
    closed = await world.opening(employer, **warehouse_opening(title="Lukket"))
    await world.opening(paused_employer, **warehouse_opening(title="Pause hos virksomheden"))
    response = await client.patch(f"/v1/openings/{closed['id']}", headers=world.consultant.headers,
                                  json={"status": "closed"})
    assert response.status_code == 200, response.text
    citizen = await world.citizen(**warehouse_worker())

    ranked = await world.ranked(citizen, include_excluded="true")

    assert _titles(ranked) == ["Åben"]
    codes = {item["opening"]["title"]: {rule["code"] for rule in item["exclusions"]}
             for item in ranked["excluded"] if item["opening"]}
    assert codes["Pause"] == {"opening_paused"}
    assert codes["Fuld"] == {"no_free_slots"}
    assert "opening_expired" in codes["Udløbet"]
    assert codes["Lukket"] == {"opening_closed"}
    assert codes["Pause hos virksomheden"] == {"employer_paused"}


async def test_commute_hours_and_scheme_rules(world: World) -> None:
    near = await world.employer(postcode="2650")
    far = await world.employer(postcode="8000", name="Aarhus Lager")
    await world.opening(near, **warehouse_opening(title="Nær"))
    await world.opening(far, **warehouse_opening(title="Fjern"))
    await world.opening(near, **warehouse_opening(title="Fuldtid", hours_min=37, hours_max=37))
    await world.opening(near, **warehouse_opening(title="Fleksjob", schemes=["flexjob"], hours_min=10, hours_max=15))
    citizen = await world.citizen(**warehouse_worker(hours_min=10, hours_max=20))

    ranked = await world.ranked(citizen, include_excluded="true")

    assert _titles(ranked) == ["Nær"]
    nearest = ranked["items"][0]
    assert nearest["commute_km"] < 5
    assert [w["code"] for w in nearest["warnings"]] == []
    codes = {item["opening"]["title"]: {rule["code"] for rule in item["exclusions"]} for item in ranked["excluded"]}
    assert codes["Fuldtid"] == {"hours_incompatible"}
    assert codes["Fleksjob"] == {"scheme_not_allowed"}
    assert "Fjern" not in codes  # beyond twice the commute limit: not even considered


async def test_a_small_hours_gap_is_a_warning_not_an_exclusion(world: World) -> None:
    employer = await world.employer()
    await world.opening(employer, **warehouse_opening(hours_min=30, hours_max=30))
    citizen = await world.citizen(**warehouse_worker(hours_min=15, hours_max=25))

    ranked = await world.ranked(citizen)

    item = ranked["items"][0]
    assert [w["code"] for w in item["warnings"]] == ["hours_mismatch"]
    assert "Obs: 30 timer/uge, borgeren ønsker højst 25." in item["explanation"]
    english = await world.ranked(citizen, lang="en")
    assert "Note: 30 hours/week, the citizen wants at most 25." in english["items"][0]["explanation"]


async def test_flexjob_only_for_citizens_visitated_to_it(world: World) -> None:
    employer = await world.employer(schemes=["flexjob", "internship"])
    await world.opening(employer, **warehouse_opening(title="Fleksjob", schemes=["flexjob"], hours_min=10,
                                                      hours_max=20))
    visitated = await world.citizen(**warehouse_worker(target_group="ledighedsydelse", hours_min=10, hours_max=20))
    other = await world.citizen(**warehouse_worker(target_group="dagpenge", hours_min=10, hours_max=20))

    assert _titles(await world.ranked(visitated)) == ["Fleksjob"]
    assert (await world.ranked(visitated))["items"][0]["scheme"] == "flexjob"
    assert _titles(await world.ranked(other)) == []


async def test_employers_open_to_internship_without_an_opening_are_suggested(world: World) -> None:
    await world.employer(name="Praktiksted ApS", schemes=["internship"], offers={"mentor": True})
    await world.employer(name="Kun Ordinært ApS", schemes=["ordinary"])
    citizen = await world.citizen(**warehouse_worker(needs=["mentor"]))

    ranked = await world.ranked(citizen)

    assert [(item["employer"]["name"], item["opening"], item["scheme"]) for item in ranked["items"]] == [
        ("Praktiksted ApS", None, "internship")]
    assert "no_posted_opening" in [w["code"] for w in ranked["items"][0]["warnings"]]


async def test_explanations_give_only_reasons_that_raised_the_score(world: World) -> None:
    employer = await world.employer(offers={"mentor": False, "physical_demands": "medium"})
    await world.opening(employer, **warehouse_opening())
    await world.opening(employer, title="Kontorelev", occupation_uri=None, skills=[{"text": "bogføring"}],
                        schemes=["internship"], hours_min=20, hours_max=37, work_conditions=[])
    citizen = await world.citizen(**warehouse_worker(needs=["mentor"]))

    ranked = await world.ranked(citizen)

    for item in ranked["items"]:
        assert item["reasons"], item
        assert all(reason["contribution"] > 0 for reason in item["reasons"])
        for reason in item["reasons"]:
            assert reason["text"] in item["explanation"]
    office = next(item for item in ranked["items"] if item["opening"]["title"] == "Kontorelev")
    assert "skills_match" not in [reason["code"] for reason in office["reasons"]]
    assert "occupation_match" not in [reason["code"] for reason in office["reasons"]]
    stored = await world.client.get(f"/v1/suggestions/{office['suggestion_id']}", headers=world.consultant.headers)
    assert stored.status_code == 200
    assert stored.json()["features"]["essential_skill_share"] == 0.0
    assert stored.json()["scorer_version"] == ranked["scorer_version"]


async def test_same_data_gives_the_same_ranking_and_suggestion_ids(world: World, settings: Settings) -> None:
    for number in range(6):
        employer = await world.employer(name=f"Lager {number}", postcode=["2650", "2500", "2605"][number % 3])
        await world.opening(employer, **warehouse_opening(slots=1 + number % 2))
    citizen = await world.citizen(**warehouse_worker(needs=["mentor"]))

    first = await world.ranked(citizen)
    await clear_cache(settings)
    second = await world.ranked(citizen)

    def ranking(result: dict[str, Any]) -> list[tuple[str, float]]:
        return [(item["suggestion_id"], item["score"]) for item in result["items"]]

    assert len(first["items"]) == 6
    assert ranking(first) == ranking(second)


async def test_equal_scores_are_ordered_by_employer_then_opening_id(world: World) -> None:
    for number in range(3):
        employer = await world.employer(name=f"Lager {number}", postcode="2650")
        for _ in range(2):
            await world.opening(employer, **warehouse_opening())
    citizen = await world.citizen(**warehouse_worker())

    ranked = await world.ranked(citizen)

    assert len(ranked["items"]) == 6 and len({item["score"] for item in ranked["items"]}) == 1
    order = [(item["employer"]["id"], item["opening"]["id"]) for item in ranked["items"]]
    assert order == sorted(order)


async def test_a_citizen_not_encoded_yet_gets_the_nearest_openings(world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    openings = []
    for code in ("2650", "2500", "2000", "2100", "2900"):  # from Hvidovre outwards
        employer = await world.employer(postcode=code, name=f"Lager {code}")
        openings.append(await world.opening(employer, **warehouse_opening(occupation_uri=None, skills=[])))
    citizen = await world.citizen(**warehouse_worker(skills=[], experience=[], wishes={}))
    monkeypatch.setattr(service, "EXACT_LIMIT", 3)  # five eligible: retrieval goes beyond scoring them all
    monkeypatch.setattr(service, "DENSE_K", 2)

    ranked = await world.ranked(citizen)

    assert ranked["retrieval"] == "approximate"
    assert {item["opening"]["id"] for item in ranked["items"]} == {openings[0]["id"], openings[1]["id"]}


async def test_citizen_without_skills_or_text_is_answered_with_a_warning(world: World) -> None:
    employer = await world.employer()
    await world.opening(employer, **warehouse_opening())
    citizen = await world.citizen(**warehouse_worker(skills=[], experience=[], wishes={}))

    ranked = await world.ranked(citizen)

    assert _titles(ranked) == ["Lagermedarbejder"]
    assert [w["code"] for w in ranked["warnings"]] == ["empty_profile"]


async def test_bad_input_gets_a_clear_4xx(world: World, make_actor: Any) -> None:
    citizen = await world.citizen(**warehouse_worker(target_group="sygedagpenge"))
    for params, field in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"scheme": "slavery"}, "scheme"),
                          ({"scheme": "wage_subsidy"}, "scheme"), ({"lang": "fr"}, "lang"),
                          ({"max_km": 0}, "max_km")):
        response = await world.suggestions(citizen, **params)
        assert response.status_code == 422, (params, response.text)
        assert error_fields(response) == [field], params

    missing = await world.client.get("/v1/citizens/00000000-0000-4000-8000-000000000000/suggestions",
                                     headers=world.consultant.headers)
    assert missing.status_code == 404
    foreign: Actor = await make_actor(Role.CONSULTANT, jobcentre=751)
    assert (await world.suggestions(citizen, actor=foreign)).status_code == 404
    employer_user: Actor = await make_actor(Role.ADMIN)
    assert (await world.suggestions(citizen, actor=employer_user)).status_code == 403

    response = await world.client.patch(f"/v1/citizens/{citizen['id']}", headers=world.consultant.headers,
                                        json={"active": False})
    assert response.status_code == 200
    inactive = await world.suggestions(citizen)
    assert inactive.status_code == 409
    assert "inactive" in inactive.json()["detail"]
