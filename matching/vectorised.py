"""The pair features of `matching.features.pair_facts` for many pairs at once, for batch scoring, training,
evaluation and benchmarks: profiles are encoded once into arrays, then each feature is a numpy expression
over arrays of pair indices. Same numbers as `pair_facts` (`tests/matching/test_vectorised.py` compares
them on random pairs); only the facts the explanation quotes are left out.

Set membership (skills, occupations, wishes) is looked up in a dense boolean matrix of citizens × the keys
the placements hold, built per block of citizens so that memory stays bounded; pairs are processed in
chunks small enough to stay in the CPU cache.
"""

import datetime as dt
import functools
import math
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from core.vocab import (
    LIMITATION_CONFLICTS,
    SCHEMES_BY_TARGET_GROUP,
    Limitation,
    Need,
    Scheme,
    TargetGroup,
    WorkCondition,
)
from matching import eligibility
from matching.eligibility import HOURS_TOLERANCE
from matching.features import (
    EXPERIENCE_SATURATION,
    FRESHNESS_DAYS,
    LOAD_CAP,
    SCHEME_SUITABILITY,
    TRACK_RECORD_PRIOR,
    TRACK_RECORD_WEIGHT,
    normalise_text,
)
from matching.profiles import CitizenProfile, Placement
from scoring.features import FEATURE_INDEX, FEATURE_NAMES

EARTH_RADIUS_KM = 6371.0088
NEEDS: tuple[Need, ...] = tuple(Need)
# Scheme codes in name order, so that "the first best scheme" breaks ties by name as choose_scheme does.
SCHEMES: tuple[Scheme, ...] = tuple(sorted(Scheme))
SCHEME_CODE: dict[Scheme, int] = {scheme: code for code, scheme in enumerate(SCHEMES)}
TARGET_GROUPS: tuple[TargetGroup, ...] = tuple(TargetGroup)
NO_SCHEME = -1
CONDITION_BIT: dict[WorkCondition, int] = {condition: bit for bit, condition in enumerate(WorkCondition)}
NO_DATE = dt.date.max.toordinal()
# Suitability of scheme code s for target group code g; 0 where the table has no entry (as .get(…, 0.0)).
SUITABILITY = np.array([[SCHEME_SUITABILITY[group].get(scheme, 0.0) for scheme in SCHEMES]
                        for group in TARGET_GROUPS], dtype=np.float64)
GAP_CLOSING_OFFERS = frozenset({"reduced_hours", "flexible_hours"})
LEVEL_VALUES = np.array([0.0, 0.0, 0.25, 0.5, 0.75, 1.0])  # occupation level (0, 2-5) → occupation_match
NEVER = 0  # the key id no citizen holds: pads key lists and stands in for a missing URI or group
MEMBERSHIP_BYTES = 64 * 1024 * 1024  # budget for one citizen block's membership and similarity matrices
CHUNK = 32768  # pairs per step
# A block's features are computed for its whole citizens × placements grid when the pairs fill at least
# 1/GRID_DENSITY of it and are at least GRID_MIN_PAIRS (batch scoring, audits); else pair by pair
# (training samples, and a live ranking's few hundred pairs, for which building the grid costs more).
GRID_DENSITY = 8
GRID_MIN_PAIRS = 5000


def _scheme_mask(schemes: frozenset[Scheme]) -> int:
    return sum(1 << SCHEME_CODE[scheme] for scheme in schemes)


def _ordinal(day: dt.date | None) -> int:
    return NO_DATE if day is None else day.toordinal()


def _need_mask(values: frozenset[str] | frozenset[Need]) -> int:
    return sum(1 << bit for bit, need in enumerate(NEEDS) if need.value in values)


def _popcount(values: np.ndarray) -> np.ndarray:
    counts = np.zeros(values.shape, dtype=np.int64)
    for bit in range(len(NEEDS)):
        counts += (values >> bit) & 1
    return counts


def _occupation_keys(prefix: str, groups: Sequence[str], size: int) -> list[str]:
    """Keys for "shares the first `size` characters of an ISCO group" (string prefixes, as features.py)."""
    return [f"{prefix}{size}:{group[:size]}" for group in groups]


def _padded(rows: Sequence[Sequence[int]]) -> np.ndarray:
    """Rows of key ids as one matrix, padded with NEVER."""
    width = max([1, *map(len, rows)])
    matrix = np.full((len(rows), width), NEVER, dtype=np.int64)
    for index, row in enumerate(rows):
        matrix[index, :len(row)] = row
    return matrix


def _incidence(padded: np.ndarray) -> tuple[np.ndarray, sparse.csr_array]:
    """(distinct keys, keys × placements 0/1 matrix) of a padded placements × keys matrix."""
    placements, positions = np.nonzero(padded != NEVER)
    keys, rows = np.unique(padded[placements, positions], return_inverse=True)
    matrix = sparse.csr_array((np.ones(len(rows), dtype=np.float32), (rows, placements)),
                              shape=(len(keys), len(padded)))
    matrix.data[:] = 1.0  # a key listed twice still only counts as held once
    return keys, matrix


def _slots(uri: np.ndarray, text: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray, sparse.csr_array]:
    """Essential skills as distinct (URI key, text key) slots and how often each placement lists each."""
    placements, positions = np.nonzero(np.arange(uri.shape[1])[None, :] < total[:, None])
    pairs = np.column_stack([uri[placements, positions], text[placements, positions]])
    distinct, rows = np.unique(pairs, axis=0, return_inverse=True) if len(pairs) else (np.zeros((0, 2), np.int64),
                                                                                        np.zeros(0, np.int64))
    counts = sparse.csr_array((np.ones(len(rows), dtype=np.float32), (np.ravel(rows), placements)),
                              shape=(len(distinct), len(uri)))
    counts.sum_duplicates()
    return distinct[:, 0].astype(np.int64), distinct[:, 1].astype(np.int64), counts


def _vectors(values: Sequence[np.ndarray | None]) -> tuple[np.ndarray | None, np.ndarray]:
    """Rows of float32 vectors (zeros where there is none) and whether each row has one. Vectors come
    from one encoder, so they share one dimension."""
    present = np.array([value is not None for value in values], dtype=bool)
    dims = {len(value) for value in values if value is not None}
    if not dims:
        return None, present
    if len(dims) != 1:
        raise ValueError(f"vectors of different dimensions: {sorted(dims)}")
    matrix = np.zeros((len(values), dims.pop()), dtype=np.float32)
    for row, value in enumerate(values):
        if value is not None:
            matrix[row] = value
    return matrix, present


def _placement_groups(placement: Placement) -> list[str]:
    extra = placement.employer_isco_groups if placement.opening_id is None else frozenset()
    return ([placement.occupation_isco] if placement.occupation_isco else []) + sorted(extra)


@dataclass(frozen=True)
class EncodedProfiles:
    """Citizens and placements as arrays. Keys are ids in one vocabulary of what the placements hold;
    a citizen's keys are those of the vocabulary the citizen holds too."""

    key_count: int
    # Citizens
    target_group: np.ndarray
    citizen_lat: np.ndarray
    citizen_lon: np.ndarray
    citizen_phi: np.ndarray
    citizen_cos_phi: np.ndarray
    max_commute_km: np.ndarray
    citizen_hours_min: np.ndarray
    citizen_hours_max: np.ndarray
    needs: np.ndarray
    need_count: np.ndarray
    citizen_schemes: np.ndarray
    conflicting_conditions: np.ndarray  # work conditions (bits) the citizen's limitations rule out
    avoids_high_demands: np.ndarray
    citizen_key_owner: np.ndarray
    citizen_key_ids: np.ndarray
    citizen_vectors: np.ndarray | None  # zeros where a citizen has none (see citizen_has_vector)
    citizen_has_vector: np.ndarray
    # Placements
    placement_lat: np.ndarray
    placement_lon: np.ndarray
    placement_phi: np.ndarray
    placement_cos_phi: np.ndarray
    has_hours: np.ndarray
    placement_hours_min: np.ndarray
    placement_hours_max: np.ndarray
    closes_gap: np.ndarray
    offers: np.ndarray
    placement_schemes: np.ndarray
    essential_uri: np.ndarray  # placements × essential skills (padded): the skill's URI key
    essential_text: np.ndarray  # … and its normalised text key
    essential_total: np.ndarray
    occupation_key: np.ndarray
    group4_keys: np.ndarray  # 4-, 3- and 2-character ISCO prefixes of the placement's groups
    group3_keys: np.ndarray
    group2_keys: np.ndarray
    wish_key: np.ndarray
    wish_group_keys: np.ndarray
    industry_keys: np.ndarray
    changed_day: np.ndarray
    posted: np.ndarray
    # What the hard rules about the placement alone read: an opening still open (always for an employer
    # without one), its last day, the day the employer's pause ends (-1: not paused), free slots, and
    # the work's conditions (bits) and high physical demands.
    placement_open: np.ndarray
    expires_day: np.ndarray
    paused_until_day: np.ndarray
    free_slots: np.ndarray
    conditions: np.ndarray
    high_demands: np.ndarray
    track_record: np.ndarray
    experience: np.ndarray
    load: np.ndarray
    # The placement's own text (the opening's, or the employer profile without one) and the employer's.
    text_vectors: np.ndarray | None
    text_has_vector: np.ndarray
    employer_vectors: np.ndarray | None
    employer_has_vector: np.ndarray

    @functools.cached_property
    def incidence(self) -> dict[str, tuple[np.ndarray, sparse.csr_array]]:
        """For whole blocks of pairs at once: which placements hold each key (keys × placements), per
        family of keys (built on first use: small rankings go pair by pair and never need it)."""
        return {"group4": _incidence(self.group4_keys), "group3": _incidence(self.group3_keys),
                "group2": _incidence(self.group2_keys), "wish4": _incidence(self.wish_group_keys),
                "industry": _incidence(self.industry_keys)}

    @functools.cached_property
    def slots(self) -> tuple[np.ndarray, np.ndarray, sparse.csr_array]:
        """The essential skills as distinct (URI key, text key) slots with their counts per placement."""
        return _slots(self.essential_uri, self.essential_text, self.essential_total)

    @property
    def citizen_count(self) -> int:
        return len(self.target_group)

    @property
    def placement_count(self) -> int:
        return len(self.placement_lat)


def track_record(past_placements: np.ndarray, past_successes: np.ndarray) -> np.ndarray:
    """employer_track_record, as pair_facts."""
    values: np.ndarray = (past_successes + TRACK_RECORD_WEIGHT * TRACK_RECORD_PRIOR) / (
        past_placements + TRACK_RECORD_WEIGHT)
    return values


def experience(past_placements: np.ndarray) -> np.ndarray:
    """employer_experience, as pair_facts."""
    values: np.ndarray = np.minimum(1.0, np.log1p(past_placements) / math.log1p(EXPERIENCE_SATURATION))
    return values


def employer_load(others_open: np.ndarray, free_slots: np.ndarray) -> np.ndarray:
    """employer_load, as pair_facts."""
    values: np.ndarray = np.minimum(others_open / np.maximum(free_slots, 1), LOAD_CAP) / LOAD_CAP
    return values


def _floats(values: Sequence[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def _ints(values: Sequence[int]) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _condition_mask(values: Collection[str]) -> int:
    return sum(1 << CONDITION_BIT[WorkCondition(value)] for value in values)


def _positions(latitude: np.ndarray, longitude: np.ndarray, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}_lat": latitude, f"{prefix}_lon": longitude, f"{prefix}_phi": np.radians(latitude),
            f"{prefix}_cos_phi": np.cos(np.radians(latitude))}


def encode_placements(placements: Sequence[Placement], vocabulary: dict[str, int]) -> dict[str, Any]:
    """The placement columns of `EncodedProfiles`, adding the keys the placements hold to `vocabulary`
    (which maps "" to NEVER). The service's index keeps these columns for every opening and employer."""

    def key(text: str) -> int:
        return vocabulary.setdefault(text, len(vocabulary))

    essential_uri, essential_text, industry_keys = [], [], []
    group_keys: tuple[list[list[int]], ...] = ([], [], [])
    wish_group_keys = []
    occupation_key, wish_key = [], []
    for placement in placements:
        essential = [skill for skill in placement.skills if skill.essential]
        essential_uri.append([key(f"su:{skill.uri}") if skill.uri is not None else NEVER for skill in essential])
        essential_text.append([key(f"st:{normalise_text(skill.label)}") for skill in essential])
        uri = placement.occupation_uri
        occupation_key.append(key(f"ou:{uri}") if uri is not None else NEVER)
        wish_key.append(key(f"wu:{uri}") if uri is not None else NEVER)
        groups = _placement_groups(placement)
        for keys, size in zip(group_keys, (4, 3, 2), strict=True):
            keys.append([key(text) for text in _occupation_keys("o", groups, size)])
        wish_group_keys.append([key(text) for text in _occupation_keys("w", groups, 4)])
        industry = placement.employer_industry
        # startswith(p) for a wished industry's (at most 2-character) prefix p ⇔ industry[:len(p)] == p
        industry_keys.append([key(f"wi:{industry[:size]}") for size in (0, 1, 2)] if industry else [])

    text_vectors, text_has_vector = _vectors([
        placement.opening_vector if placement.opening_id is not None else placement.employer_vector
        for placement in placements])
    employer_vectors, employer_has_vector = _vectors([placement.employer_vector for placement in placements])
    past = _ints([placement.past_placements for placement in placements])
    free_slots = _ints([placement.free_slots for placement in placements])
    return {
        **_positions(_floats([placement.latitude for placement in placements]),
                     _floats([placement.longitude for placement in placements]), "placement"),
        "has_hours": np.array([placement.hours_min is not None and placement.hours_max is not None
                               for placement in placements], dtype=bool),
        "placement_hours_min": _ints([placement.hours_min or 0 for placement in placements]),
        "placement_hours_max": _ints([placement.hours_max or 0 for placement in placements]),
        "closes_gap": np.array([bool(placement.offers & GAP_CLOSING_OFFERS) for placement in placements], dtype=bool),
        "offers": _ints([_need_mask(placement.offers) for placement in placements]),
        "placement_schemes": _ints([_scheme_mask(placement.schemes) for placement in placements]),
        "essential_uri": _padded(essential_uri), "essential_text": _padded(essential_text),
        "essential_total": _ints([len(row) for row in essential_uri]),
        "occupation_key": _ints(occupation_key), "group4_keys": _padded(group_keys[0]),
        "group3_keys": _padded(group_keys[1]), "group2_keys": _padded(group_keys[2]),
        "wish_key": _ints(wish_key), "wish_group_keys": _padded(wish_group_keys),
        "industry_keys": _padded(industry_keys),
        "changed_day": _ints([placement.changed_at.date().toordinal() for placement in placements]),
        "posted": np.array([placement.opening_id is not None for placement in placements], dtype=np.float64),
        "placement_open": np.array([placement.opening_id is None or placement.status == "open"
                                    for placement in placements], dtype=bool),
        "expires_day": _ints([_ordinal(placement.expires_on) for placement in placements]),
        "paused_until_day": _ints([
            (_ordinal(placement.employer_paused_until) if placement.employer_status == "paused" else -1)
            for placement in placements]),
        "free_slots": free_slots,
        "conditions": _ints([_condition_mask(placement.work_conditions) for placement in placements]),
        "high_demands": np.array([placement.physical_demands == "high" for placement in placements], dtype=bool),
        "track_record": track_record(past, _ints([placement.past_successes for placement in placements])),
        "experience": experience(past),
        "load": employer_load(_ints([placement.others_open_suggestions for placement in placements]), free_slots),
        "text_vectors": text_vectors, "text_has_vector": text_has_vector,
        "employer_vectors": employer_vectors, "employer_has_vector": employer_has_vector,
    }


def citizen_keys(citizen: CitizenProfile) -> list[str]:
    """What a citizen holds, as the keys placements are encoded with: skills, occupations and their ISCO
    groups, wished occupations and groups, wished industries."""
    groups = list(citizen.occupations.values())
    texts = [f"su:{uri}" for uri in citizen.skill_uris] + [f"st:{text}" for text in citizen.skill_texts]
    texts += [f"ou:{uri}" for uri in citizen.occupations]
    texts += [text for size in (4, 3, 2) for text in _occupation_keys("o", groups, size)]
    texts += [f"wu:{uri}" for uri in citizen.wished_occupations]
    texts += _occupation_keys("w", list(citizen.wished_occupations.values()), 4)
    texts += [f"wi:{industry[:2]}" for industry in citizen.wished_industries]
    return texts


def encode_citizens(citizens: Sequence[CitizenProfile], vocabulary: Mapping[str, int]) -> dict[str, Any]:
    """The citizen columns of `EncodedProfiles`: each citizen's keys are those of `vocabulary` they hold."""
    key_owner: list[int] = []
    key_ids: list[int] = []
    for index, citizen in enumerate(citizens):
        held = {vocabulary[text] for text in citizen_keys(citizen) if text in vocabulary} - {NEVER}
        key_owner += [index] * len(held)
        key_ids += sorted(held)
    citizen_vectors, citizen_has_vector = _vectors([citizen.vector for citizen in citizens])
    needs = _ints([_need_mask(citizen.needs) for citizen in citizens])
    return {
        "target_group": _ints([TARGET_GROUPS.index(citizen.target_group) for citizen in citizens]),
        **_positions(_floats([citizen.latitude for citizen in citizens]),
                     _floats([citizen.longitude for citizen in citizens]), "citizen"),
        "max_commute_km": _floats([citizen.max_commute_km for citizen in citizens]),
        "citizen_hours_min": _ints([citizen.hours_min for citizen in citizens]),
        "citizen_hours_max": _ints([citizen.hours_max for citizen in citizens]),
        "needs": needs, "need_count": _popcount(needs),
        "citizen_schemes": _ints([_scheme_mask(citizen.schemes & SCHEMES_BY_TARGET_GROUP[citizen.target_group])
                                  for citizen in citizens]),
        "conflicting_conditions": _ints([
            _condition_mask({condition for limitation in citizen.limitations
                             for condition in LIMITATION_CONFLICTS.get(Limitation(limitation), frozenset())})
            for citizen in citizens]),
        "avoids_high_demands": np.array([bool(citizen.limitations & eligibility.EXCLUDE_HIGH_DEMANDS)
                                         for citizen in citizens], dtype=bool),
        "citizen_key_owner": _ints(key_owner), "citizen_key_ids": _ints(key_ids),
        "citizen_vectors": citizen_vectors, "citizen_has_vector": citizen_has_vector,
    }


def encode_profiles(citizens: Sequence[CitizenProfile], placements: Sequence[Placement]) -> EncodedProfiles:
    """Encode profiles once; pairs then refer to them by position in these sequences."""
    vocabulary: dict[str, int] = {"": NEVER}
    placement_columns = encode_placements(placements, vocabulary)
    return EncodedProfiles(key_count=len(vocabulary), **encode_citizens(citizens, vocabulary), **placement_columns)


# ---------------------------------------------------------------------------------------------------
# Pair-level helpers


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Haversine km, as core.geography.great_circle_km."""
    return _haversine(np.radians(lat1), np.cos(np.radians(lat1)), lon1, np.radians(lat2), np.cos(np.radians(lat2)),
                      lon2)


def _haversine(phi1: np.ndarray, cos_phi1: np.ndarray, lon1: np.ndarray, phi2: np.ndarray, cos_phi2: np.ndarray,
               lon2: np.ndarray) -> np.ndarray:
    dphi, dlambda = phi2 - phi1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + cos_phi1 * cos_phi2 * np.sin(dlambda / 2) ** 2
    distance: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    return distance


def commute_km(encoded: EncodedProfiles, citizen_index: np.ndarray, placement_index: np.ndarray) -> np.ndarray:
    return _haversine(encoded.citizen_phi[citizen_index], encoded.citizen_cos_phi[citizen_index],
                      encoded.citizen_lon[citizen_index], encoded.placement_phi[placement_index],
                      encoded.placement_cos_phi[placement_index], encoded.placement_lon[placement_index])


def hours_gap(encoded: EncodedProfiles, citizen_index: np.ndarray, placement_index: np.ndarray) -> np.ndarray:
    """As matching.eligibility.hours_gap: 0 when the ranges overlap or the placement has no hours."""
    above = encoded.placement_hours_min[placement_index] - encoded.citizen_hours_max[citizen_index]
    above = np.where((above > 0) & encoded.closes_gap[placement_index], 0, above)
    below = encoded.citizen_hours_min[citizen_index] - encoded.placement_hours_max[placement_index]
    gap = np.maximum(0, np.maximum(above, below))
    gaps: np.ndarray = np.where(encoded.has_hours[placement_index], gap, 0)
    return gaps


def choose_schemes(encoded: EncodedProfiles, citizen_index: np.ndarray, placement_index: np.ndarray,
                   wanted: Scheme | None = None) -> np.ndarray:
    """Per pair, the code (in SCHEMES) of the shared scheme that suits the target group best, ties by
    name, as matching.features.choose_scheme; NO_SCHEME where there is no shared scheme."""
    shared = encoded.citizen_schemes[citizen_index] & encoded.placement_schemes[placement_index]
    if wanted is not None:
        shared &= 1 << SCHEME_CODE[wanted]
    groups = encoded.target_group[citizen_index]
    best = np.full(len(citizen_index), NO_SCHEME, dtype=np.int64)
    best_value = np.full(len(citizen_index), -1.0)
    for code in range(len(SCHEMES)):
        value = np.where((shared >> code) & 1 == 1, SUITABILITY[groups, code], -1.0)
        better = value > best_value
        best = np.where(better, code, best)
        best_value = np.where(better, value, best_value)
    return best


def within_reach(encoded: EncodedProfiles, citizen_index: np.ndarray, placement_index: np.ndarray, *,
                 max_km: np.ndarray | None = None, wanted: Scheme | None = None) -> np.ndarray:
    """The time-invariant necessary conditions of eligibility: a shared scheme (the `wanted` one, when
    given), within `max_km` per pair (default: the citizen's own max commute), hours within tolerance.
    (Limitations, status, slots and pauses are left to the rules.)"""
    shared = encoded.citizen_schemes[citizen_index] & encoded.placement_schemes[placement_index]
    if wanted is not None:
        shared &= 1 << SCHEME_CODE[wanted]
    limit = encoded.max_commute_km[citizen_index] if max_km is None else max_km
    near = commute_km(encoded, citizen_index, placement_index) <= limit
    reachable: np.ndarray = (shared != 0) & near & (hours_gap(encoded, citizen_index, placement_index)
                                                    <= HOURS_TOLERANCE)
    return reachable


# ---------------------------------------------------------------------------------------------------
# The feature matrix


@dataclass(frozen=True)
class _Block:
    """What a block of citizens [start, stop) needs: membership; and where the pairs cover much of the
    block × placements grid, the set features and text similarities for the whole grid at once."""

    start: int
    held: np.ndarray  # flattened (stop − start) × key_count booleans
    grid: dict[str, np.ndarray] | None  # (stop − start) × placements


def _holds_any(held: np.ndarray, family: tuple[np.ndarray, sparse.csr_array]) -> np.ndarray:
    """Grid of "the citizen holds one of the placement's keys" for one family of keys."""
    keys, incidence = family
    counts: np.ndarray = held[:, keys].astype(np.float32) @ incidence
    return counts > 0


def _grid(encoded: EncodedProfiles, held: np.ndarray, start: int, stop: int) -> dict[str, np.ndarray]:
    slot_uri, slot_text, slot_counts = encoded.slots
    matched: np.ndarray = (held[:, slot_uri] | held[:, slot_text]).astype(np.float32) @ slot_counts
    exact = held[:, encoded.occupation_key]
    level = np.where(_holds_any(held, encoded.incidence["group2"]), 2, 0)
    level = np.where(_holds_any(held, encoded.incidence["group3"]), 3, level)
    level = np.where(_holds_any(held, encoded.incidence["group4"]), 4, level)
    wished_group = _holds_any(held, encoded.incidence["wish4"]) | _holds_any(held, encoded.incidence["industry"])
    grid = {"essential_matched": matched.astype(np.float64),
            "occupation_match": LEVEL_VALUES[np.where(exact, 5, level)],
            "wish_match": np.where(held[:, encoded.wish_key], 1.0, np.where(wished_group, 0.5, 0.0))}
    citizen_vectors = encoded.citizen_vectors
    for name, vectors in (("semantic_opening", encoded.text_vectors), ("semantic_employer", encoded.employer_vectors)):
        if citizen_vectors is not None and vectors is not None and citizen_vectors.shape[1] == vectors.shape[1]:
            grid[name] = citizen_vectors[start:stop] @ vectors.T
    return grid


def _block(encoded: EncodedProfiles, start: int, stop: int, pairs: int) -> _Block:
    held = np.zeros((stop - start) * encoded.key_count, dtype=bool)
    first, last = np.searchsorted(encoded.citizen_key_owner, [start, stop])
    held[(encoded.citizen_key_owner[first:last] - start) * encoded.key_count + encoded.citizen_key_ids[first:last]] \
        = True
    dense = pairs >= GRID_MIN_PAIRS and (stop - start) * encoded.placement_count <= GRID_DENSITY * pairs
    grid = _grid(encoded, held.reshape(stop - start, encoded.key_count), start, stop) if dense else None
    return _Block(start, held, grid)


def _chunk(encoded: EncodedProfiles, block: _Block, citizens: np.ndarray, placements: np.ndarray,
           schemes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Features of one chunk of pairs whose citizens all lie in the block."""
    count = len(citizens)
    out = np.empty((len(FEATURE_NAMES), count), dtype=np.float64)  # feature-major: contiguous writes
    local = citizens - block.start
    row = (local * encoded.key_count)[:, None]

    def holds(keys: np.ndarray) -> np.ndarray:
        found: np.ndarray = block.held[row + keys[placements]]
        return found

    def put(name: str, values: np.ndarray) -> None:
        out[FEATURE_INDEX[name]] = values

    grid = block.grid
    flat = local * encoded.placement_count + placements  # position in a block's grid

    def cell(name: str) -> np.ndarray:
        assert grid is not None
        found: np.ndarray = np.take(grid[name], flat)
        return found

    for name, vectors, has_vector in (("semantic_opening", encoded.text_vectors, encoded.text_has_vector),
                                      ("semantic_employer", encoded.employer_vectors, encoded.employer_has_vector)):
        known = encoded.citizen_has_vector[citizens] & has_vector[placements]
        citizen_vectors = encoded.citizen_vectors
        if grid is not None and name in grid:
            values = cell(name).astype(np.float64)
        elif citizen_vectors is not None and vectors is not None and citizen_vectors.shape[1] == vectors.shape[1]:
            values = np.einsum("ij,ij->i", citizen_vectors[citizens], vectors[placements]).astype(np.float64)
        else:
            values = np.zeros(count)
        put(name, np.where(known, values, np.nan))  # NaN: unknown, as pair_facts

    total = encoded.essential_total[placements]
    if grid is not None:
        put("occupation_match", cell("occupation_match"))
        matched = cell("essential_matched")
        put("wish_match", cell("wish_match"))
    else:
        exact = holds(encoded.occupation_key[:, None])[:, 0]
        level = np.where(holds(encoded.group2_keys).any(axis=1), 2, 0)
        level = np.where(holds(encoded.group3_keys).any(axis=1), 3, level)
        level = np.where(holds(encoded.group4_keys).any(axis=1), 4, level)
        put("occupation_match", LEVEL_VALUES[np.where(exact, 5, level)])
        matched = (holds(encoded.essential_uri) | holds(encoded.essential_text)).sum(axis=1)
        wished_occupation = holds(encoded.wish_key[:, None])[:, 0]
        wished_group = holds(encoded.wish_group_keys).any(axis=1) | holds(encoded.industry_keys).any(axis=1)
        put("wish_match", np.where(wished_occupation, 1.0, np.where(wished_group, 0.5, 0.0)))
    put("essential_skill_share", np.where(total > 0, matched / np.maximum(total, 1), 0.0))

    distance = commute_km(encoded, citizens, placements)
    put("commute_km", distance)
    put("commute_share", distance / encoded.max_commute_km[citizens])
    put("hours_fit", np.maximum(0.0, 1.0 - 0.1 * hours_gap(encoded, citizens, placements)))

    need_count = encoded.need_count[citizens]
    met = _popcount(encoded.needs[citizens] & encoded.offers[placements])
    has_needs = need_count > 0
    divisor = np.maximum(need_count, 1)
    put("needs_met_share", np.where(has_needs, met / divisor, 0.0))
    put("needs_unmet_share", np.where(has_needs, (need_count - met) / divisor, 0.0))

    suitability = SUITABILITY[encoded.target_group[citizens], np.maximum(schemes, 0)]
    put("scheme_preference", np.where(schemes >= 0, suitability, 0.0))
    put("employer_track_record", encoded.track_record[placements])
    put("employer_experience", encoded.experience[placements])
    put("employer_load", encoded.load[placements])
    put("freshness", np.exp(-np.maximum(0, days - encoded.changed_day[placements]) / FRESHNESS_DAYS))
    put("posted_opening", encoded.posted[placements])
    return out.T


def pair_features(encoded: EncodedProfiles, citizen_index: np.ndarray, placement_index: np.ndarray,
                  schemes: np.ndarray, today: dt.date | np.ndarray, *, workers: int = 1) -> np.ndarray:
    """The feature matrix (pairs × FEATURE_NAMES, column-major) of `pair_facts` for pairs given by position.

    `schemes` holds scheme codes (SCHEMES order) per pair, e.g. from `choose_schemes`; `today` is one date
    or per-pair date ordinals (training sees each pair as of its decision date). With `workers` > 1 the
    chunks of pairs are computed in that many threads (NumPy releases the GIL in its loops).
    """
    citizen_index = np.asarray(citizen_index, dtype=np.int64)
    placement_index = np.asarray(placement_index, dtype=np.int64)
    schemes = np.asarray(schemes, dtype=np.int64)
    count = len(citizen_index)
    if not (len(placement_index) == len(schemes) == count):
        raise ValueError("citizen_index, placement_index and schemes must have the same length")
    days = (np.full(count, today.toordinal(), dtype=np.int64) if isinstance(today, dt.date)
            else np.asarray(today, dtype=np.int64))
    # Column-major: a scorer reads feature by feature.
    features = np.empty((count, len(FEATURE_NAMES)), dtype=np.float64, order="F")
    if count == 0:
        return features
    per_citizen = encoded.key_count + 48 * max(encoded.placement_count, 1)  # membership + grids, in bytes
    block_size = max(1, MEMBERSHIP_BYTES // per_citizen)
    first, last = int(citizen_index.min()), int(citizen_index.max()) + 1
    single = last - first <= block_size
    order = np.argsort(citizen_index, kind="stable") if not single else np.zeros(0, dtype=np.int64)
    ordered = citizen_index[order]
    with ThreadPoolExecutor(max_workers=workers) if workers > 1 else nullcontext() as pool:
        for start in range(first, last, block_size):
            stop = min(start + block_size, last)
            low, high = (0, count) if single else (int(bound) for bound in np.searchsorted(ordered, [start, stop]))
            if low == high:
                continue
            block = _block(encoded, start, stop, high - low)

            def fill(begin: int, block: _Block = block, high: int = high) -> None:
                end = min(begin + CHUNK, high)
                rows: slice | np.ndarray = slice(begin, end) if single else order[begin:end]
                features[rows] = _chunk(encoded, block, citizen_index[rows], placement_index[rows], schemes[rows],
                                        days[rows])

            list(pool.map(fill, range(low, high, CHUNK)) if pool is not None else map(fill, range(low, high, CHUNK)))
    return features


def eligible(encoded: EncodedProfiles, citizen_index: np.ndarray, placement_index: np.ndarray, today: dt.date, *,
             max_km: np.ndarray | None = None, wanted: Scheme | None = None) -> np.ndarray:
    """Per pair, whether it passes every hard rule of matching.eligibility today, as
    `eligibility.exclusions(…, max_km=…, wanted_scheme=wanted)` is empty (by default with the citizen's own
    max commute, as `matching.service.is_eligible`)."""
    day = today.toordinal()
    available = (encoded.placement_open & (encoded.expires_day >= day) & (encoded.paused_until_day <= day)
                 & (encoded.free_slots > 0))
    passes = within_reach(encoded, citizen_index, placement_index, max_km=max_km, wanted=wanted)
    passes &= available[placement_index]
    clash = (encoded.conditions[placement_index] & encoded.conflicting_conditions[citizen_index]) != 0
    clash |= encoded.high_demands[placement_index] & encoded.avoids_high_demands[citizen_index]
    kept: np.ndarray = passes & ~clash
    return kept
