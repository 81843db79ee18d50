"""The vectorised pair features equal `pair_facts` on random pairs (and the scheme choice `choose_scheme`)."""

import dataclasses
import datetime as dt
import random
import uuid

import numpy as np
import pytest

from core.geography import great_circle_km
from core.vocab import Limitation, Need, Scheme, TargetGroup, WorkCondition
from matching import eligibility, vectorised
from matching.features import choose_scheme, pair_facts
from matching.profiles import CitizenProfile, Placement, Skill
from matching.service import is_eligible
from scoring.features import FEATURE_INDEX, FEATURE_NAMES

TODAY = dt.date(2026, 3, 2)
SKILL_URIS = [f"http://data.europa.eu/esco/skill/s{number}" for number in range(12)]
SKILL_TEXTS = ["Truckcertifikat", "kundeservice", "Rengøring!", "svejsning", "kassearbejde", "Pleje  af ældre"]
OCCUPATIONS = {f"http://data.europa.eu/esco/occupation/o{number}": group
               for number, group in enumerate(["9621", "9622", "9612", "5223", "5230", "5322", "7212", "7213",
                                               "4110", "8332", "96", "5223"])}
INDUSTRIES = ["521000", "522100", "561010", "871000", "4", ""]
OFFERS = [need.value for need in Need] + ["wheelchair_access"]


def _vector(rng: random.Random, dims: int = 8) -> np.ndarray | None:
    if rng.random() < 0.2:
        return None
    values = np.array([rng.gauss(0, 1) for _ in range(dims)], dtype=np.float32)
    unit: np.ndarray = values / np.linalg.norm(values)
    return unit


def random_citizen(rng: random.Random) -> CitizenProfile:
    group = rng.choice(list(TargetGroup))
    return CitizenProfile(
        id=uuid.UUID(int=rng.getrandbits(128)), jobcentre_code=101, reference="x", target_group=group,
        postcode="2650", latitude=55.6 + rng.uniform(-0.3, 0.3), longitude=12.4 + rng.uniform(-0.3, 0.3),
        max_commute_km=rng.choice([5, 15, 30, 60]), hours_min=rng.randint(5, 25), hours_max=rng.randint(25, 40),
        active=True, schemes=frozenset(rng.sample(list(Scheme), rng.randint(0, 4))), limitations=frozenset(),
        needs=frozenset(rng.sample(list(Need), rng.randint(0, 3))),
        skill_uris=frozenset(rng.sample(SKILL_URIS, rng.randint(0, 6))),
        skill_texts=frozenset(" ".join(text.lower().replace("!", "").split())
                              for text in rng.sample(SKILL_TEXTS, rng.randint(0, 3))),
        occupations=dict(rng.sample(sorted(OCCUPATIONS.items()), rng.randint(0, 3))),
        wished_occupations=dict(rng.sample(sorted(OCCUPATIONS.items()), rng.randint(0, 2))),
        wished_industries=frozenset(rng.sample(INDUSTRIES, rng.randint(0, 2))), has_profile=True,
        vector=_vector(rng), updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def random_placement(rng: random.Random) -> Placement:
    posted = rng.random() < 0.75
    occupation = rng.choice(sorted(OCCUPATIONS)) if posted and rng.random() < 0.85 else None
    skills = tuple(Skill(uri=rng.choice([*SKILL_URIS, None]), label=rng.choice(SKILL_TEXTS),
                         essential=rng.random() < 0.7) for _ in range(rng.randint(0, 6)))
    hours = (rng.randint(5, 30), rng.randint(30, 40)) if posted else (None, None)
    return Placement(
        employer_id=uuid.UUID(int=rng.getrandbits(128)), employer_name="E",
        opening_id=uuid.UUID(int=rng.getrandbits(128)) if posted else None, title="T",
        schemes=frozenset(rng.sample(list(Scheme), rng.randint(1, 3))), postcode="2650", city="Hvidovre",
        latitude=55.6 + rng.uniform(-0.3, 0.3), longitude=12.4 + rng.uniform(-0.3, 0.3),
        hours_min=hours[0], hours_max=hours[1], physical_demands="medium", work_conditions=frozenset(),
        occupation_uri=occupation, occupation_isco=OCCUPATIONS.get(occupation or "") if rng.random() < 0.9 else None,
        skills=skills if posted else (), status="open", expires_on=None, start_date=None, employer_status="active",
        employer_paused_until=None, employer_available_from=None, free_slots=rng.randint(-1, 4),
        offers=frozenset(rng.sample(OFFERS, rng.randint(0, 4))), employer_industry=rng.choice([*INDUSTRIES, None]),
        past_placements=(past := rng.randint(0, 80)), past_successes=rng.randint(0, past),
        others_open_suggestions=rng.randint(0, 12),
        changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(0, 80)),
        opening_vector=_vector(rng) if posted else None, employer_vector=_vector(rng),
        employer_isco_groups=frozenset(rng.sample(sorted(set(OCCUPATIONS.values())), rng.randint(0, 3))))


def _world(seed: int, citizens: int = 40, placements: int = 40) -> tuple[list[CitizenProfile], list[Placement]]:
    rng = random.Random(seed)
    return [random_citizen(rng) for _ in range(citizens)], [random_placement(rng) for _ in range(placements)]


def _expected(citizen: CitizenProfile, placement: Placement, scheme: Scheme) -> np.ndarray:
    km = great_circle_km(citizen.latitude, citizen.longitude, placement.latitude, placement.longitude)
    return pair_facts(citizen, placement, scheme=scheme, commute_km=km, today=TODAY).features


def _assert_features_equal(actual: np.ndarray, expected: np.ndarray) -> None:
    semantic = [FEATURE_INDEX["semantic_opening"], FEATURE_INDEX["semantic_employer"]]
    exact = [index for index in range(len(FEATURE_NAMES)) if index not in semantic]
    np.testing.assert_allclose(actual[:, exact], expected[:, exact], rtol=1e-12, atol=1e-12)
    # float32 dot products: summation order differs between BLAS and np.dot
    np.testing.assert_allclose(actual[:, semantic], expected[:, semantic], atol=1e-6)


@pytest.mark.parametrize(("seed", "density"), [(1, 8), (2, 8), (3, 8), (1, 0), (2, 0)])
def test_every_pair_equals_pair_facts(seed: int, density: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole grids (density 8: features computed for the citizens × placements grid) and pair by pair."""
    monkeypatch.setattr(vectorised, "GRID_DENSITY", density)
    monkeypatch.setattr(vectorised, "GRID_MIN_PAIRS", 0)
    citizens, placements = _world(seed)
    encoded = vectorised.encode_profiles(citizens, placements)
    citizen_index = np.repeat(np.arange(len(citizens)), len(placements))
    placement_index = np.tile(np.arange(len(placements)), len(citizens))
    rng = random.Random(seed)
    schemes = [rng.choice(vectorised.SCHEMES) for _ in citizen_index]
    actual = vectorised.pair_features(encoded, citizen_index, placement_index,
                                      np.array([vectorised.SCHEME_CODE[s] for s in schemes]), TODAY)
    expected = np.vstack([_expected(citizens[c], placements[p], scheme)
                          for c, p, scheme in zip(citizen_index, placement_index, schemes, strict=True)])
    _assert_features_equal(actual, expected)
    assert actual[:, FEATURE_INDEX["occupation_match"]].max() == 1.0  # the random world exercises the levels
    assert 0 < actual[:, FEATURE_INDEX["essential_skill_share"]].mean() < 1
    assert set(actual[:, FEATURE_INDEX["wish_match"]]) == {0.0, 0.5, 1.0}


@pytest.mark.parametrize("density", [0, 1000])
def test_sparse_pairs_in_citizen_blocks_equal_pair_facts(density: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random pairs in random order, with a memory budget small enough to force several blocks."""
    monkeypatch.setattr(vectorised, "GRID_DENSITY", density)
    monkeypatch.setattr(vectorised, "GRID_MIN_PAIRS", 0)
    monkeypatch.setattr(vectorised, "CHUNK", 64)  # several chunks, computed in two threads
    citizens, placements = _world(7, citizens=60, placements=90)
    encoded = vectorised.encode_profiles(citizens, placements)
    monkeypatch.setattr(vectorised, "MEMBERSHIP_BYTES", encoded.key_count * 7)
    rng = np.random.default_rng(7)
    citizen_index = rng.integers(0, len(citizens), 500)
    placement_index = rng.integers(0, len(placements), 500)
    schemes = rng.integers(0, len(vectorised.SCHEMES), 500)
    actual = vectorised.pair_features(encoded, citizen_index, placement_index, schemes, TODAY, workers=2)
    expected = np.vstack([_expected(citizens[c], placements[p], vectorised.SCHEMES[s])
                          for c, p, s in zip(citizen_index, placement_index, schemes, strict=True)])
    _assert_features_equal(actual, expected)


def test_a_small_ranking_goes_pair_by_pair_without_building_the_grid() -> None:
    citizens, placements = _world(4, citizens=1, placements=300)
    encoded = vectorised.encode_profiles(citizens, placements)
    every = np.arange(len(placements))
    actual = vectorised.pair_features(encoded, np.zeros(len(every), dtype=np.int64), every,
                                      np.zeros(len(every), dtype=np.int64), TODAY)
    expected = np.vstack([_expected(citizens[0], placement, vectorised.SCHEMES[0]) for placement in placements])
    _assert_features_equal(actual, expected)
    assert "incidence" not in encoded.__dict__ and "slots" not in encoded.__dict__


def test_per_pair_dates_set_freshness_per_pair() -> None:
    citizens, placements = _world(4, citizens=3, placements=3)
    encoded = vectorised.encode_profiles(citizens, placements)
    days = np.array([TODAY.toordinal(), (TODAY + dt.timedelta(days=60)).toordinal()])
    features = vectorised.pair_features(encoded, np.array([0, 0]), np.array([1, 1]), np.array([0, 0]), days)
    later = TODAY + dt.timedelta(days=60)
    citizen, placement = citizens[0], placements[1]
    km = great_circle_km(citizen.latitude, citizen.longitude, placement.latitude, placement.longitude)
    expected = pair_facts(citizen, placement, scheme=vectorised.SCHEMES[0], commute_km=km, today=later).features
    assert features[1, FEATURE_INDEX["freshness"]] == pytest.approx(expected[FEATURE_INDEX["freshness"]])


def test_chosen_schemes_equal_choose_scheme() -> None:
    citizens, placements = _world(5)
    encoded = vectorised.encode_profiles(citizens, placements)
    citizen_index = np.repeat(np.arange(len(citizens)), len(placements))
    placement_index = np.tile(np.arange(len(placements)), len(citizens))
    for wanted in (None, Scheme.INTERNSHIP):
        codes = vectorised.choose_schemes(encoded, citizen_index, placement_index, wanted)
        expected = [choose_scheme(citizens[c], placements[p], wanted)
                    for c, p in zip(citizen_index, placement_index, strict=True)]
        actual = [None if code == vectorised.NO_SCHEME else vectorised.SCHEMES[code] for code in codes]
        assert actual == expected


def test_eligible_equals_is_eligible() -> None:
    rng = random.Random(9)
    limitations = [limitation.value for limitation in Limitation]
    citizens = [dataclasses.replace(random_citizen(rng),
                                    limitations=frozenset(rng.sample(limitations, rng.randint(0, 2))))
                for _ in range(50)]
    placements = [dataclasses.replace(
        random_placement(rng), status=rng.choice(["open", "open", "open", "paused", "filled"]),
        expires_on=rng.choice([None, TODAY, TODAY - dt.timedelta(days=1)]),
        employer_status=rng.choice(["active", "active", "paused"]),
        employer_paused_until=rng.choice([None, TODAY, TODAY + dt.timedelta(days=3)]),
        physical_demands=rng.choice(["low", "medium", "high"]),
        work_conditions=frozenset(rng.sample([condition.value for condition in WorkCondition], rng.randint(0, 3))))
        for _ in range(50)]
    encoded = vectorised.encode_profiles(citizens, placements)
    citizen_index = np.repeat(np.arange(len(citizens)), len(placements))
    placement_index = np.tile(np.arange(len(placements)), len(citizens))
    actual = vectorised.eligible(encoded, citizen_index, placement_index, TODAY)
    expected = [is_eligible(citizens[c], placements[p], TODAY)
                for c, p in zip(citizen_index, placement_index, strict=True)]
    assert actual.tolist() == expected
    assert 0 < actual.mean() < 1


def test_eligible_with_a_commute_limit_and_a_wanted_scheme_equals_the_rules() -> None:
    citizens, placements = _world(11)
    encoded = vectorised.encode_profiles(citizens, placements)
    citizen_index = np.repeat(np.arange(len(citizens)), len(placements))
    placement_index = np.tile(np.arange(len(placements)), len(citizens))
    limits = np.array([random.Random(int(index)).choice([3.0, 10.0, 25.0]) for index in range(len(citizen_index))])
    for wanted in (None, Scheme.INTERNSHIP, Scheme.FLEXJOB):
        actual = vectorised.eligible(encoded, citizen_index, placement_index, TODAY,
                                     max_km=limits, wanted=wanted)
        expected = []
        for c, p, limit in zip(citizen_index, placement_index, limits, strict=True):
            citizen, placement = citizens[c], placements[p]
            km = great_circle_km(citizen.latitude, citizen.longitude, placement.latitude, placement.longitude)
            expected.append(not eligibility.exclusions(citizen, placement, commute_km=km, max_km=float(limit),
                                                       wanted_scheme=wanted, today=TODAY))
        assert actual.tolist() == expected
        assert 0 < actual.mean() < 1
