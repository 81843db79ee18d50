"""Scored candidates for many citizens at once: the placements within a jobcentre's reach held as arrays,
a vectorised pre-selection per citizen (commute, schemes, free slots, then nearest by text and by
taxonomy), and the engine's own rules, features and scorer on what is left.

The pre-selection mirrors the live engine's retrieval (matching.service): every pair passing the
coarse filters is evaluated when there are few; otherwise the nearest by profile text and the ones
sharing an occupation group. Hard rules, features and scores come from the matching engine itself
(`is_eligible`, `choose_scheme`, `facts_for`, the active scorer), so a batch score is a live score;
`matching.vectorised` computes the same rules and features as arrays for a whole shard.
"""

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from core.geography import EARTH_RADIUS_KM
from core.vocab import SCHEMES_BY_TARGET_GROUP, Scheme
from matching import vectorised
from matching.features import choose_scheme
from matching.profiles import CitizenProfile, Placement
from matching.service import facts_for, is_eligible
from scoring.base import Scorer
from scoring.features import FEATURE_NAMES

# Evaluate every coarse-eligible placement of a citizen up to this many; beyond it, the nearest by text
# and by occupation group.
EXACT_LIMIT = 60
DENSE_K = 30
TAXONOMY_K = 30
# Citizens whose distances and text similarities are computed in one matrix product.
CHUNK = 256
# The pre-filter keeps placements up to this much beyond the commute limit; the hard rule decides.
COMMUTE_SLACK_KM = 0.5

SCHEME_BITS: dict[Scheme, int] = {scheme: 1 << position for position, scheme in enumerate(Scheme)}

PlacementKey = tuple[uuid.UUID, uuid.UUID | None]


def scheme_bits(schemes: Iterable[Scheme]) -> int:
    bits = 0
    for scheme in schemes:
        bits |= SCHEME_BITS[scheme]
    return bits


def _isco3(group: str | None) -> int:
    return int(group[:3]) if group and len(group) >= 3 and group[:3].isdigit() else -1


@dataclass
class PlacementIndex:
    """The placements a run can suggest, with the arrays the pre-selection reads."""

    placements: list[Placement]
    keys: dict[PlacementKey, int]
    postcode_of: np.ndarray  # placement -> index into the distinct postcodes
    postcode_radians: np.ndarray  # distinct postcodes x (latitude, longitude), radians
    scheme_bits: np.ndarray
    has_free_slot: np.ndarray
    vectors: np.ndarray | None  # opening text (or employer profile, without an opening), unit length
    has_vector: np.ndarray
    isco3: np.ndarray
    occupation: np.ndarray
    occupation_ids: dict[str, int]

    def __len__(self) -> int:
        return len(self.placements)

    def get(self, key: PlacementKey) -> Placement | None:
        position = self.keys.get(key)
        return None if position is None else self.placements[position]


def build_index(placements: Iterable[Placement], dims: int | None) -> PlacementIndex:
    ordered = sorted(placements, key=lambda placement: placement.key)
    postcodes: dict[str, int] = {}
    points: list[tuple[float, float]] = []
    postcode_of = np.empty(len(ordered), dtype=np.int32)
    occupation_ids: dict[str, int] = {}
    vectors = np.zeros((len(ordered), dims), dtype=np.float32) if dims else None
    has_vector = np.zeros(len(ordered), dtype=bool)
    isco3 = np.full(len(ordered), -1, dtype=np.int32)
    occupation = np.full(len(ordered), -1, dtype=np.int32)
    for position, placement in enumerate(ordered):
        if placement.postcode not in postcodes:
            postcodes[placement.postcode] = len(points)
            points.append((placement.latitude, placement.longitude))
        postcode_of[position] = postcodes[placement.postcode]
        vector = placement.opening_vector if placement.opening_id is not None else placement.employer_vector
        if vectors is not None and vector is not None and len(vector) == dims:
            vectors[position] = vector
            has_vector[position] = True
        isco3[position] = _isco3(placement.occupation_isco)
        if placement.occupation_uri:
            occupation[position] = occupation_ids.setdefault(placement.occupation_uri, len(occupation_ids))
    return PlacementIndex(
        placements=ordered, keys={placement_key(placement): position for position, placement in enumerate(ordered)},
        postcode_of=postcode_of, postcode_radians=np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2)),
        scheme_bits=np.array([scheme_bits(placement.schemes) for placement in ordered], dtype=np.int16),
        has_free_slot=np.array([placement.free_slots > 0 for placement in ordered], dtype=bool),
        vectors=vectors, has_vector=has_vector, isco3=isco3, occupation=occupation, occupation_ids=occupation_ids)


def placement_key(placement: Placement) -> PlacementKey:
    return (placement.employer_id, placement.opening_id)


@dataclass(frozen=True)
class Candidate:
    citizen: CitizenProfile
    placement: Placement
    scheme: Scheme
    score: float


def great_circle_matrix(latitudes: np.ndarray, longitudes: np.ndarray, to_latitudes: np.ndarray,
                        to_longitudes: np.ndarray) -> np.ndarray:
    """km between every pair of points (degrees): the haversine of core.geography, vectorised."""
    lat1, lon1 = np.radians(latitudes)[:, None], np.radians(longitudes)[:, None]
    lat2, lon2 = np.radians(to_latitudes)[None, :], np.radians(to_longitudes)[None, :]
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return km


def _distances(citizens: Sequence[CitizenProfile], index: PlacementIndex) -> np.ndarray:
    """km from each citizen to each placement (between postcode centres)."""
    by_postcode = great_circle_matrix(
        np.array([citizen.latitude for citizen in citizens]), np.array([citizen.longitude for citizen in citizens]),
        np.degrees(index.postcode_radians[:, 0]), np.degrees(index.postcode_radians[:, 1]))
    distances: np.ndarray = by_postcode[:, index.postcode_of]
    return distances


def _similarities(citizens: Sequence[CitizenProfile], index: PlacementIndex) -> tuple[np.ndarray | None, np.ndarray]:
    """Cosine of each citizen's profile vector to each placement's (one matrix product), and which
    citizens have a vector of the index's dimension."""
    if index.vectors is None:
        return None, np.zeros(len(citizens), dtype=bool)
    dims = index.vectors.shape[1]
    usable = np.array([citizen.vector is not None and len(citizen.vector) == dims for citizen in citizens])
    if not usable.any():
        return None, usable
    matrix = np.zeros((len(citizens), dims), dtype=np.float32)
    for row, citizen in enumerate(citizens):
        if usable[row]:
            assert citizen.vector is not None
            matrix[row] = citizen.vector
    similarities: np.ndarray = matrix @ index.vectors.T
    return similarities, usable


def _nearest(positions: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """The `count` positions with the smallest values (all when fewer)."""
    if len(positions) <= count:
        return positions
    picked: np.ndarray = positions[np.argpartition(values, count - 1)[:count]]
    return picked


def preselect(citizen: CitizenProfile, distances: np.ndarray, similarities: np.ndarray | None,
              index: PlacementIndex) -> np.ndarray:
    """Placements worth evaluating for the citizen: every one within reach when few, else the nearest by
    text and those in the citizen's occupation groups (nearest first), else simply the nearest."""
    allowed = scheme_bits(citizen.schemes & SCHEMES_BY_TARGET_GROUP[citizen.target_group])
    mask = ((distances <= citizen.max_commute_km + COMMUTE_SLACK_KM) & ((index.scheme_bits & allowed) != 0)
            & index.has_free_slot)
    positions = np.flatnonzero(mask)
    if len(positions) <= EXACT_LIMIT:
        return positions
    picked: list[np.ndarray] = []
    if similarities is not None:
        with_vector = positions[index.has_vector[positions]]
        picked.append(_nearest(with_vector, -similarities[with_vector], DENSE_K))
    groups = [_isco3(group) for group in (*citizen.occupations.values(), *citizen.wished_occupations.values())]
    uris = [index.occupation_ids[uri] for uri in (*citizen.occupations, *citizen.wished_occupations)
            if uri in index.occupation_ids]
    if groups or uris:
        related = positions[np.isin(index.isco3[positions], groups) | np.isin(index.occupation[positions], uris)]
        picked.append(_nearest(related, distances[related], TAXONOMY_K))
    if not picked or sum(len(part) for part in picked) == 0:
        picked.append(_nearest(positions, distances[positions], DENSE_K))
    return np.unique(np.concatenate(picked))


def preselected_pairs(citizens: Sequence[CitizenProfile], index: PlacementIndex) -> tuple[np.ndarray, np.ndarray]:
    """(citizen position, placement position) of every pair worth evaluating, citizen by citizen; the
    distance and similarity matrices are built per CHUNK citizens so they stay small."""
    citizen_rows: list[np.ndarray] = []
    placement_rows: list[np.ndarray] = []
    for start in range(0, len(citizens) if len(index) else 0, CHUNK):
        chunk = citizens[start:start + CHUNK]
        distances = _distances(chunk, index)
        similarities, usable = _similarities(chunk, index)
        for row, citizen in enumerate(chunk):
            row_similarities = similarities[row] if similarities is not None and usable[row] else None
            positions = preselect(citizen, distances[row], row_similarities, index)
            citizen_rows.append(np.full(len(positions), start + row, dtype=np.int64))
            placement_rows.append(positions.astype(np.int64))
    if not citizen_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(citizen_rows), np.concatenate(placement_rows)


Evaluated = tuple[np.ndarray, np.ndarray, list[Scheme], np.ndarray]


def evaluate_pairwise(citizens: Sequence[CitizenProfile], index: PlacementIndex, citizen_rows: np.ndarray,
                      placement_rows: np.ndarray, today: dt.date) -> Evaluated:
    """The eligible pairs with their scheme and features, one pair at a time through the engine's own
    `is_eligible`, `choose_scheme` and `facts_for`."""
    kept: list[int] = []
    schemes: list[Scheme] = []
    features: list[np.ndarray] = []
    for number, (row, position) in enumerate(zip(citizen_rows, placement_rows, strict=True)):
        citizen, placement = citizens[row], index.placements[position]
        if not is_eligible(citizen, placement, today):
            continue
        scheme = choose_scheme(citizen, placement, None)
        if scheme is None:
            continue
        kept.append(number)
        schemes.append(scheme)
        features.append(facts_for(citizen, placement, scheme, today).features)
    taken = np.array(kept, dtype=np.int64)
    matrix = np.vstack(features) if features else np.zeros((0, len(FEATURE_NAMES)))
    return citizen_rows[taken], placement_rows[taken], schemes, matrix


def evaluate_vectorised(citizens: Sequence[CitizenProfile], index: PlacementIndex, citizen_rows: np.ndarray,
                        placement_rows: np.ndarray, today: dt.date) -> Evaluated:
    """The same as evaluate_pairwise, with matching.vectorised: the profiles are encoded once per call
    (only the placements some citizen reaches), then rules, schemes and features are array expressions."""
    used = np.unique(placement_rows)
    placements = [index.placements[position] for position in used]
    local = np.searchsorted(used, placement_rows)
    encoded = vectorised.encode_profiles(citizens, placements)
    passes = vectorised.eligible(encoded, citizen_rows, local, today)
    citizen_rows, placement_rows, local = citizen_rows[passes], placement_rows[passes], local[passes]
    codes = vectorised.choose_schemes(encoded, citizen_rows, local)
    shared = codes != vectorised.NO_SCHEME
    citizen_rows, placement_rows, local = citizen_rows[shared], placement_rows[shared], local[shared]
    codes = codes[shared]
    matrix = vectorised.pair_features(encoded, citizen_rows, local, codes, today)
    return citizen_rows, placement_rows, [vectorised.SCHEMES[code] for code in codes], matrix


def score_citizens(citizens: Sequence[CitizenProfile], index: PlacementIndex, scorer: Scorer, today: dt.date,
                   keep: int, *, pairwise: bool = False) -> list[Candidate]:
    """The `keep` best eligible placements per citizen, scored by `scorer` (ties by placement key).
    `pairwise` evaluates pair by pair with the engine's functions (the reference the vectorised path is
    tested against)."""
    citizen_rows, placement_rows = preselected_pairs(citizens, index)
    if not len(citizen_rows):
        return []
    evaluate = evaluate_pairwise if pairwise else evaluate_vectorised
    citizen_rows, placement_rows, schemes, matrix = evaluate(citizens, index, citizen_rows, placement_rows, today)
    if not len(citizen_rows):
        return []
    scores = np.asarray(scorer.score(matrix), dtype=np.float64)
    # Placements are sorted by key, so their position breaks ties as the live ranking does.
    order = np.lexsort((placement_rows, -np.round(scores, 9), citizen_rows))
    ordered_citizens = citizen_rows[order]
    first = np.searchsorted(ordered_citizens, ordered_citizens, side="left")
    chosen = order[(np.arange(len(order)) - first) < keep]
    return [Candidate(citizens[citizen_rows[pair]], index.placements[placement_rows[pair]], schemes[pair],
                      float(scores[pair])) for pair in chosen]
