"""Batch candidates: the vectorised evaluation gives the pairs and scores of the engine's own per-pair
rules and features, and a candidate is never a pair the live engine would exclude."""

import datetime as dt
from typing import Any

import asyncpg
import pytest

from batch import candidates
from batch.candidates import build_index, score_citizens
from core.cache import Cache
from matching.service import Engine, is_eligible, load_profiles
from scoring.baseline import WeightedBaseline
from tests.batch.conftest import Jobcentre

TODAY = dt.date.today()


async def _world(place: Jobcentre) -> None:
    for number, (postcode, demands, conditions) in enumerate([
            ("2650", "medium", []), ("2500", "high", []), ("2200", "low", ["night_shifts"]),
            ("2100", "medium", ["heavy_lifting"]), ("2605", "low", []), ("4000", "medium", [])]):
        employer = await place.employer(name=f"Virksomhed {number}", postcode=postcode, capacity=0,
                                        offers={"physical_demands": demands, "reduced_hours": number % 2 == 0})
        await place.opening(employer, title=f"Job {number}", slots=1 + number % 2, physical_demands=demands,
                            work_conditions=conditions, hours_min=10 + 5 * number, hours_max=20 + 5 * number)
    for number in range(6):
        await place.citizen(limitations=["no_heavy_lifting", "no_night_shifts"][: number % 3],
                            limitations_consent=True, hours_min=10 + 3 * number, hours_max=25 + 3 * number,
                            max_commute_km=10 + 8 * number, postcode=["2650", "2200", "2500"][number % 3])


@pytest.mark.parametrize("exact_limit", [candidates.EXACT_LIMIT, 2], ids=["every-pair", "preselected"])
async def test_vectorised_and_pairwise_evaluation_agree(jobcentre: Jobcentre, pool: asyncpg.Pool,
                                                        monkeypatch: pytest.MonkeyPatch, exact_limit: int) -> None:
    every_pair = exact_limit == candidates.EXACT_LIMIT
    monkeypatch.setattr(candidates, "EXACT_LIMIT", exact_limit)
    monkeypatch.setattr(candidates, "TAXONOMY_K", 2)
    await _world(jobcentre)
    engine = Engine(encoder_id="none", dims=None, scorer=WeightedBaseline(), cache=Cache(None, ""), today=TODAY)
    async with pool.acquire() as conn:
        citizens, _ = await load_profiles(conn, engine, [c["id"] for c in jobcentre.citizens], [], [])
        _, placements = await load_profiles(conn, engine, [], [o["id"] for o in jobcentre.openings], [])
    index = build_index(placements.values(), None)
    people = list(citizens.values())

    def described(found: list[Any]) -> list[tuple[Any, ...]]:
        return [(item.citizen.id, item.placement.key, item.scheme, round(item.score, 9)) for item in found]

    pairwise = score_citizens(people, index, engine.scorer, TODAY, keep=3, pairwise=True)
    vectorised = score_citizens(people, index, engine.scorer, TODAY, keep=3)
    assert described(vectorised) == described(pairwise)
    assert len(pairwise) > len(people) if every_pair else len(pairwise) >= len(people) // 2
    assert all(is_eligible(item.citizen, item.placement, TODAY) for item in vectorised)
