"""The matching engine: retrieve placements (or citizens), apply the hard rules, compute features,
score with the active scorer, explain, store the suggestions shown, and cache the result.

Asking twice with unchanged data gives the same ranking: ties break by ids, a citizen's own stored
suggestions never count towards the employer load it is ranked with, and the cache key holds the
generation of every table a ranking reads.
"""

import dataclasses
import datetime as dt
import hashlib
import json
import math
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from audit import repository as audit
from core.cache import Cache
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.geography import great_circle_km
from core.vocab import SCHEMES_BY_TARGET_GROUP, Scheme
from matching import eligibility, explain, repository, vectorised
from matching.features import PairFacts, choose_scheme, pair_facts
from matching.index import MatchingIndex
from matching.profiles import CitizenProfile, Placement
from matching.rows import citizen_profile, placement_from_row
from matching.schemas import (
    Caveat,
    CitizenRef,
    DeclineReason,
    EmployerRef,
    ExcludedItem,
    FeedbackCreate,
    FeedbackEvent,
    OpeningRef,
    RankedItem,
    RankedList,
    Reason,
    Suggestion,
)
from scoring.base import Scorer
from scoring.features import FEATURE_INDEX, FEATURE_NAMES
from taxonomy import snapshot as taxonomy_snapshot
from taxonomy.snapshot import TaxonomySnapshot
from users.schemas import Principal

# At most this many coarse-eligible pairs are all scored (exact retrieval); beyond it the nearest by
# text (HNSW) and the taxonomy candidates are scored (approximate retrieval).
EXACT_LIMIT = 600
# Without the service's index (matching.index), up to this many coarse-eligible ids the nearest by text
# are found by exact distances over the primary key, beyond it by the HNSW index; with it, always exactly
# over the vectors it holds (~10 ms at 100,000).
EXACT_SEARCH_LIMIT = 25000
DENSE_K = 200
TAXONOMY_K = 200
# Employers open to a scheme without an opening: the nearest this many are scored.
EMPLOYER_K = 150
EXCLUDED_SHOWN = 25


@dataclass(frozen=True)
class MatchQuery:
    scheme: Scheme | None = None
    max_km: int | None = None
    limit: int = 20
    lang: explain.Language = "da"
    include_excluded: bool = False


@dataclass(frozen=True)
class Engine:
    """What a ranking runs with besides the database: the encoder whose vectors to use, the scorer,
    the cache, today's date (injected so that tests and batch runs can fix it) and, in the service, the
    process's index of openings, employers and citizens for retrieval (without it, retrieval is SQL)."""

    encoder_id: str
    dims: int | None
    scorer: Scorer
    cache: Cache
    today: dt.date
    index: MatchingIndex | None = None


@dataclass
class _Scored:
    citizen: CitizenProfile
    placement: Placement
    scheme: Scheme
    commute_km: float
    features: np.ndarray
    score: float


# ---------------------------------------------------------------------------------------------------
# Profiles from rows


def _jobcentre_of(principal: Principal) -> int:
    if not principal.is_jobcentre_staff or principal.jobcentre_code is None:
        raise Forbidden("only consultants and jobcentre admins can match citizens")
    return principal.jobcentre_code


# ---------------------------------------------------------------------------------------------------
# Geography

_postcodes: dict[str, tuple[float, float]] = {}
# (codes in order, latitudes, longitudes) of _postcodes, once built
_postcode_arrays: list[tuple[list[str], np.ndarray, np.ndarray]] = []


async def _postcode_points(conn: asyncpg.Connection) -> dict[str, tuple[float, float]]:
    """Postcode centres (reference data seeded by the migrations; loaded once per process)."""
    if not _postcodes:
        _postcodes.update({row["postcode"]: (row["latitude"], row["longitude"])
                           for row in await repository.postcode_points(conn)})
    return _postcodes


async def _postcodes_within(conn: asyncpg.Connection, latitude: float, longitude: float, km: float) -> list[str]:
    """The postcodes whose centre lies within `km` of the point, in order (distances as the rules'
    `vectorised.great_circle_km`)."""
    if not _postcode_arrays:
        points = sorted((await _postcode_points(conn)).items())
        # Requests that found it missing side by side each build it; the last one stays.
        _postcode_arrays[:] = [([code for code, _ in points], np.array([lat for _, (lat, _) in points]),
                                np.array([lon for _, (_, lon) in points]))]
    codes, latitudes, longitudes = _postcode_arrays[0]
    distances = vectorised.great_circle_km(latitudes, longitudes, np.full(len(codes), latitude),
                                           np.full(len(codes), longitude))
    return [codes[at] for at in np.flatnonzero(distances <= km)]


# ---------------------------------------------------------------------------------------------------
# Scoring shared by both directions


def _rank(engine: Engine, citizens: Sequence[CitizenProfile], placements: Sequence[Placement],
          citizen_index: np.ndarray, placement_index: np.ndarray, *, max_km: np.ndarray,
          wanted: Scheme | None) -> tuple[list[_Scored], np.ndarray]:
    """The eligible pairs among those given, scored and ranked (ties by ids), and per given pair whether it
    was eligible. Rules and features are computed for all pairs at once (`matching.vectorised`, equal to
    `eligibility.exclusions` and `pair_facts`); `max_km` is the commute limit per pair."""
    encoded = vectorised.encode_profiles(citizens, placements)
    passes = vectorised.eligible(encoded, citizen_index, placement_index, engine.today,
                                 max_km=max_km, wanted=wanted)
    kept_citizens, kept_placements = citizen_index[passes], placement_index[passes]
    schemes = vectorised.choose_schemes(encoded, kept_citizens, kept_placements, wanted)
    features = np.ascontiguousarray(vectorised.pair_features(encoded, kept_citizens, kept_placements, schemes,
                                                             engine.today))
    scores = engine.scorer.score(features) if len(features) else np.zeros(0)
    commute = features[:, FEATURE_INDEX["commute_km"]]
    kept = [(citizens[c], placements[p]) for c, p in zip(kept_citizens.tolist(), kept_placements.tolist(), strict=True)]
    order = _best_first(scores, [citizen.id for citizen, _ in kept], [placement.employer_id for _, placement in kept],
                        [placement.opening_id for _, placement in kept])
    scored = [_Scored(kept[at][0], kept[at][1], vectorised.SCHEMES[schemes[at]], float(commute[at]), features[at],
                      float(scores[at])) for at in order.tolist()]
    return scored, passes


def _best_first(scores: np.ndarray, citizen_ids: Sequence[uuid.UUID], employer_ids: Sequence[uuid.UUID],
                opening_ids: Sequence[uuid.UUID | None]) -> np.ndarray:
    """Positions of the pairs in rank order: score (to 9 decimals, so that float noise never reorders)
    descending, ties by citizen, employer and opening id (none first), as the ids' text sorts."""
    ties = (_sort_keys(opening_ids), _sort_keys(employer_ids), _sort_keys(citizen_ids))
    order: np.ndarray = np.lexsort((*ties, -np.round(scores, 9)))
    return order


def _sort_keys(ids: Sequence[uuid.UUID | None]) -> np.ndarray:
    """Ids as 16-byte strings, which sort as the ids' text does (a UUID's text is its bytes in hex); None as
    the empty string, first."""
    return np.array([b"" if value is None else value.bytes for value in ids], dtype="S16")


def _facts(engine: Engine, item: _Scored) -> PairFacts:
    """What the explanation quotes about a ranked pair, with the features it was scored on."""
    facts = pair_facts(item.citizen, item.placement, scheme=item.scheme, commute_km=item.commute_km,
                       today=engine.today)
    return dataclasses.replace(facts, features=item.features)


def _labels(taxonomy: TaxonomySnapshot, lang: explain.Language) -> explain.Labels:
    return explain.Labels(
        occupations=taxonomy.occupation_labels_da if lang == "da" else taxonomy.occupation_labels_en,
        isco_groups=taxonomy.isco_labels_da if lang == "da" else taxonomy.isco_labels_en)


def _refs(placement: Placement) -> tuple[OpeningRef | None, EmployerRef]:
    opening = None if placement.opening_id is None else OpeningRef(id=placement.opening_id,
                                                                   title=placement.title or "")
    return opening, EmployerRef(id=placement.employer_id, name=placement.employer_name, city=placement.city)


def _citizen_ref(citizen: CitizenProfile) -> CitizenRef:
    return CitizenRef(id=citizen.id, reference=citizen.reference, consultant_id=citizen.consultant_id)


def _open_state(decided: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None], tuple[str, uuid.UUID]],
                citizen_id: uuid.UUID, employer_id: uuid.UUID, opening_id: uuid.UUID | None) -> str | None:
    """The pair's state, None once the consultant has accepted or declined it (it is not shown again)."""
    state, _ = decided.get((citizen_id, employer_id, opening_id), ("proposed", None))
    return None if state in ("accepted", "declined") else state


async def _rank_and_store(conn: asyncpg.Connection, engine: Engine, scored: list[_Scored], *, limit: int,
                          origin: str, lang: explain.Language, taxonomy: TaxonomySnapshot,
                          with_citizen: bool) -> list[RankedItem]:
    """The top `limit` pairs not yet decided, explained and stored (one suggestion per pair)."""
    decided = await repository.decided_pairs(conn, sorted({item.citizen.id for item in scored}, key=str))
    chosen: list[tuple[_Scored, str]] = []
    for item in scored:
        state = _open_state(decided, item.citizen.id, item.placement.employer_id, item.placement.opening_id)
        if state is None:
            continue
        chosen.append((item, state))
        if len(chosen) >= limit:
            break
    return await _explain_and_store(conn, engine, chosen, origin=origin, lang=lang, taxonomy=taxonomy,
                                    with_citizen=with_citizen)


async def _explain_and_store(conn: asyncpg.Connection, engine: Engine, chosen: list[tuple[_Scored, str]], *,
                             origin: str, lang: explain.Language, taxonomy: TaxonomySnapshot,
                             with_citizen: bool) -> list[RankedItem]:
    """The chosen pairs (with their states), in order, explained and stored (one suggestion per pair)."""
    labels = _labels(taxonomy, lang)
    facts = [_facts(engine, item) for item, _ in chosen]
    contributions = (engine.scorer.contributions(np.vstack([item.features for item, _ in chosen])) if chosen
                     else np.zeros((0, len(FEATURE_NAMES))))
    explained = [explain.explain(item.citizen, item.placement, pair, contribution, labels, today=engine.today,
                                 lang=lang)
                 for (item, _), pair, contribution in zip(chosen, facts, contributions, strict=True)]
    rows = [{
        "citizen_id": item.citizen.id, "jobcentre_code": item.citizen.jobcentre_code,
        "employer_id": item.placement.employer_id, "opening_id": item.placement.opening_id,
        "scheme": item.scheme.value, "origin": origin, "score": item.score,
        "commute_km": round(item.commute_km, 2),
        "features": _feature_json(item.features),
        "reasons": text.reasons, "warnings": text.warnings, "scorer_version": engine.scorer.version,
        "input_hash": _pair_hash(item),
    } for (item, _), text in zip(chosen, explained, strict=True)]
    ids = await repository.store_suggestions(conn, rows) if rows else {}
    items = []
    for rank, ((item, state), text) in enumerate(zip(chosen, explained, strict=True), start=1):
        opening, employer = _refs(item.placement)
        key = (item.citizen.id, item.placement.employer_id, item.placement.opening_id, item.scheme.value)
        items.append(RankedItem(
            suggestion_id=ids[key], rank=rank, score=round(item.score, 6),
            citizen=_citizen_ref(item.citizen) if with_citizen else None, opening=opening, employer=employer,
            scheme=item.scheme, commute_km=round(item.commute_km, 1), explanation=text.text,
            reasons=[Reason.model_validate(reason) for reason in text.reasons],
            warnings=[Caveat.model_validate(warning) for warning in text.warnings],
            state=state, scorer_version=engine.scorer.version))
    return items


def _feature_json(values: np.ndarray) -> dict[str, float | None]:
    """Features as stored with a suggestion, to 6 decimals: NaN (unknown) becomes null."""
    return {name: None if math.isnan(value) else value
            for name, value in zip(FEATURE_NAMES, np.round(values, 6).tolist(), strict=True)}


def _pair_hash(item: _Scored) -> str:
    """Fingerprint of the features a suggestion was scored on (reproducibility checks)."""
    return hashlib.sha256(item.features.round(6).tobytes()).hexdigest()[:32]


def _excluded_items(engine: Engine, citizen: CitizenProfile, placements: Sequence[Placement], query: MatchQuery,
                    max_km: float) -> list[ExcludedItem]:
    """Placements that break a hard rule for the citizen, with every rule they break, best scored first
    (shown on request; their scheme is the best shared one, or the placement's first when they share none)."""
    found = []
    for placement in placements:
        scheme = choose_scheme(citizen, placement, query.scheme) or sorted(placement.schemes)[0]
        facts = facts_for(citizen, placement, scheme, engine.today)
        rules = eligibility.exclusions(citizen, placement, commute_km=facts.commute_km, max_km=max_km,
                                       wanted_scheme=query.scheme, today=engine.today)
        found.append((placement, facts, rules))
    if not found:
        return []
    scores = engine.scorer.score(np.vstack([facts.features for _, facts, _ in found]))
    ranked = sorted(zip(found, scores, strict=True), key=lambda item: (-round(float(item[1]), 9), item[0][0].key))
    shown = []
    for (placement, facts, rules), _ in ranked[:EXCLUDED_SHOWN]:
        opening, employer = _refs(placement)
        shown.append(ExcludedItem(
            citizen=None, opening=opening, employer=employer, commute_km=round(facts.commute_km, 1),
            exclusions=[Caveat(code=rule.code, text=rule.text_da if query.lang == "da" else rule.text_en)
                        for rule in rules]))
    return shown


def _cache_key(kind: str, subject: Any, data_version: str, engine: Engine, query: MatchQuery,
               extra: Iterable[Any] = ()) -> str:
    parts = [kind, str(subject), data_version, engine.scorer.version, engine.encoder_id, engine.today.isoformat(),
             json.dumps([query.scheme, query.max_km, query.limit, query.lang, query.include_excluded]),
             *map(str, extra)]
    return f"match:{kind}:{hashlib.sha256('|'.join(parts).encode()).hexdigest()}"


# ---------------------------------------------------------------------------------------------------
# Suggestions for a citizen


async def suggestions_for_citizen(conn: asyncpg.Connection, principal: Principal, citizen_id: uuid.UUID,
                                  query: MatchQuery, engine: Engine) -> RankedList:
    jobcentre_code = _jobcentre_of(principal)
    rows = await repository.citizen_rows(conn, [citizen_id], engine.encoder_id, jobcentre_code)
    if not rows:
        raise NotFound(f"no citizen {citizen_id}")
    row = rows[0]
    if not row["active"]:
        raise Conflict("the citizen is inactive; reactivate them (PATCH active=true) to get suggestions")
    await audit.record(conn, principal, "suggest", [citizen_id], jobcentre_code=jobcentre_code,
                       detail={"scheme": query.scheme, "limit": query.limit})
    generations = await repository.generations(conn)
    key = _cache_key("citizen", citizen_id, repository.data_version(generations), engine, query,
                     [row["updated_at"].isoformat()])
    cached = await engine.cache.get(key)
    if cached is not None:
        return RankedList.model_validate_json(cached)

    taxonomy = await taxonomy_snapshot.current(conn)
    citizen = citizen_profile(row, taxonomy)
    result = await _suggest(conn, engine, citizen, query, taxonomy, generations)
    await engine.cache.set(key, result.model_dump_json())
    return result


def _request_warnings(citizen: CitizenProfile, lang: explain.Language) -> list[Caveat]:
    found = []
    if not citizen.has_profile:
        found.append(Caveat(code="empty_profile", text=(
            "Borgeren har hverken kompetencer, erfaring eller ønsker registreret; forslagene bygger kun på "
            "afstand, timer og ordninger." if lang == "da" else
            "The citizen has no skills, experience or wishes recorded; suggestions rest on distance, hours "
            "and schemes only.")))
    if citizen.vector is None and citizen.has_profile:
        found.append(Caveat(code="profile_not_encoded", text=(
            "Borgerens profiltekst er ikke behandlet endnu; tekstlighed indgår ikke." if lang == "da" else
            "The citizen's profile text is not encoded yet; text similarity is left out.")))
    return found


def _opening_warnings(placement: Placement, lang: explain.Language) -> list[Caveat]:
    if placement.opening_vector is not None:
        return []
    return [Caveat(code="opening_not_encoded", text=(
        "Opslagets tekst er ikke behandlet endnu; tekstlighed indgår ikke." if lang == "da" else
        "The opening's text is not encoded yet; text similarity is left out."))]


async def _suggest(conn: asyncpg.Connection, engine: Engine, citizen: CitizenProfile, query: MatchQuery,
                   taxonomy: TaxonomySnapshot, generations: dict[str, int]) -> RankedList:
    allowed = citizen.schemes & SCHEMES_BY_TARGET_GROUP[citizen.target_group]
    schemes = [scheme.value for scheme in sorted(allowed & {query.scheme} if query.scheme else allowed)]
    max_km = float(min(citizen.max_commute_km, query.max_km or citizen.max_commute_km))
    warnings = _request_warnings(citizen, query.lang)
    if query.scheme is not None and query.scheme not in allowed:
        raise InvalidInput("scheme", f"the citizen cannot use '{query.scheme.value}' (target group "
                                     f"'{citizen.target_group.value}', schemes {', '.join(sorted(allowed))})")
    postcodes = await _postcodes_within(conn, citizen.latitude, citizen.longitude, max_km)
    if engine.index is not None:
        await engine.index.refresh(conn, taxonomy, generations)
    opening_ids, retrieval = await _retrieve_openings(conn, engine, citizen, postcodes, schemes, taxonomy)
    if engine.index is not None:
        employer_ids = engine.index.employers_without_openings(
            postcodes, engine.today, schemes, near=(citizen.latitude, citizen.longitude),
            points=await _postcode_points(conn), limit=EMPLOYER_K)
    else:
        employer_ids = await repository.employer_ids_without_openings(
            conn, postcodes, engine.today, schemes, near=(citizen.latitude, citizen.longitude), limit=EMPLOYER_K)
    if engine.index is not None and not query.include_excluded:
        chosen = await _rank_from_index(conn, engine, engine.index, citizen, opening_ids, employer_ids,
                                        max_km=max_km, query=query, taxonomy=taxonomy)
        items = await _explain_and_store(conn, engine, chosen, origin="citizen", lang=query.lang, taxonomy=taxonomy,
                                         with_citizen=False)
        return RankedList(items=items, warnings=warnings, scorer_version=engine.scorer.version,
                          considered=len(opening_ids) + len(employer_ids), retrieval=retrieval,
                          generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
    excluded_ids: list[uuid.UUID] = []
    excluded_employers: list[uuid.UUID] = []
    if query.include_excluded:
        wide = await _postcodes_within(conn, citizen.latitude, citizen.longitude, max(2 * max_km, max_km + 10))
        every_scheme = [scheme.value for scheme in Scheme]
        in_area = await repository.opening_ids(conn, wide, engine.today, every_scheme, include_unavailable=True)
        excluded_ids = await repository.opening_ids_by_taxonomy(
            conn, in_area, sorted(citizen.occupations | citizen.wished_occupations),
            sorted({group[:3] for group in citizen.occupations.values()}), sorted(citizen.skill_uris), TAXONOMY_K)
        excluded_employers = await repository.employer_ids_without_openings(
            conn, wide, engine.today, every_scheme, near=(citizen.latitude, citizen.longitude), limit=EMPLOYER_K,
            include_unavailable=True)
    placements = await _load_placements(conn, engine, taxonomy, sorted(set(opening_ids) | set(excluded_ids), key=str),
                                        sorted(set(employer_ids) | set(excluded_employers), key=str), citizen.id)
    every = np.arange(len(placements))
    scored, passes = _rank(engine, [citizen], placements, np.zeros(len(placements), dtype=np.int64), every,
                           max_km=np.full(len(placements), max_km), wanted=query.scheme)
    items = await _rank_and_store(conn, engine, scored, limit=query.limit, origin="citizen", lang=query.lang,
                                  taxonomy=taxonomy, with_citizen=False)
    excluded_list = None
    if query.include_excluded:
        excluded_list = _excluded_items(engine, citizen, [placements[index] for index in every[~passes]], query,
                                        max_km)
    return RankedList(items=items, excluded=excluded_list, warnings=warnings, scorer_version=engine.scorer.version,
                      considered=len(placements), retrieval=retrieval,
                      generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0))


@dataclass
class _Pending:
    """A pair scored on the index's encodings, not yet read in full."""

    citizen_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID | None
    scheme: Scheme
    features: np.ndarray
    score: float


@dataclass(frozen=True)
class _ScoredPairs:
    """Eligible pairs scored on the index's encodings, best first; each becomes a `_Pending` only when it is
    reached (a ranking reads a few dozen of several hundred)."""

    ids: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]  # (citizen, employer, opening) per pair
    schemes: np.ndarray
    features: np.ndarray
    scores: np.ndarray

    def __iter__(self) -> Iterator[_Pending]:
        for at, (citizen_id, employer_id, opening_id) in enumerate(self.ids):
            yield _Pending(citizen_id, employer_id, opening_id, vectorised.SCHEMES[self.schemes[at]], self.features[at],
                           float(self.scores[at]))


def _score_encoded(engine: Engine, encoded: vectorised.EncodedProfiles,
                   pairs: Sequence[tuple[int, int, tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]], *,
                   max_km: np.ndarray, wanted: Scheme | None) -> _ScoredPairs:
    """The eligible pairs (citizen position, placement position, (citizen, employer, opening) ids) scored
    and ranked as `_rank` ranks them; `max_km` is the commute limit per pair."""
    citizens = np.array([pair[0] for pair in pairs], dtype=np.int64)
    placements = np.array([pair[1] for pair in pairs], dtype=np.int64)
    passes = vectorised.eligible(encoded, citizens, placements, engine.today, max_km=max_km, wanted=wanted)
    kept = np.flatnonzero(passes)
    schemes = vectorised.choose_schemes(encoded, citizens[kept], placements[kept], wanted)
    features = vectorised.pair_features(encoded, citizens[kept], placements[kept], schemes, engine.today)
    scores = engine.scorer.score(features) if len(features) else np.zeros(0)
    ids = [pairs[at][2] for at in kept.tolist()]
    order = _best_first(scores, *zip(*ids, strict=True)) if ids else np.zeros(0, dtype=np.int64)
    return _ScoredPairs(ids=[ids[at] for at in order.tolist()], schemes=schemes[order],
                        features=np.ascontiguousarray(features[order]), scores=scores[order])


CurrentPairs = Callable[[Sequence[_Pending]], Awaitable[dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None],
                                                             tuple[CitizenProfile, Placement]]]]


async def _top_on_current_rows(conn: asyncpg.Connection, engine: Engine, pending: _ScoredPairs, *, limit: int,
                               max_km: float | None, wanted: Scheme | None,
                               current: CurrentPairs) -> list[tuple[_Scored, str]]:
    """The first `limit` pairs not yet decided, as `_rank_and_store` chooses them from profiles read in
    full: `current` reads the citizens and placements of a batch of pairs as they are now, and each pair must
    still pass every hard rule on those (`max_km`: the commute limit, None for the citizen's own)."""
    decided = await repository.decided_pairs(conn, list({ids[0] for ids in pending.ids}))  # any order
    chosen: list[tuple[_Scored, str]] = []
    upcoming = iter(pending)
    while len(chosen) < limit:
        batch = []
        for item in upcoming:
            state = _open_state(decided, item.citizen_id, item.employer_id, item.opening_id)
            if state is not None:
                batch.append((item, state))
                if len(batch) >= limit - len(chosen):
                    break
        if not batch:
            break
        now = await current([item for item, _ in batch])
        for item, state in batch:
            found = now.get((item.citizen_id, item.employer_id, item.opening_id))
            if found is None:
                continue  # gone since the index looked
            citizen, placement = found
            commute = great_circle_km(citizen.latitude, citizen.longitude, placement.latitude, placement.longitude)
            limit_km = float(citizen.max_commute_km) if max_km is None else max_km
            if not citizen.active or eligibility.exclusions(citizen, placement, commute_km=commute, max_km=limit_km,
                                                            wanted_scheme=wanted, today=engine.today):
                continue  # changed since the index looked
            chosen.append((_Scored(citizen, placement, item.scheme, float(item.features[FEATURE_INDEX["commute_km"]]),
                                   item.features, item.score), state))
    return chosen


async def _rank_from_index(conn: asyncpg.Connection, engine: Engine, index: MatchingIndex, citizen: CitizenProfile,
                           opening_ids: Sequence[uuid.UUID], employer_ids: Sequence[uuid.UUID], *, max_km: float,
                           query: MatchQuery, taxonomy: TaxonomySnapshot) -> list[tuple[_Scored, str]]:
    """The top `query.limit` placements for the citizen, as `_rank` and `_rank_and_store` choose them from
    placements read in full, but scored on the index's encoded placements and this request's counts: only
    the chosen placements are read in full."""
    placements = index.placements(opening_ids, employer_ids)
    keys = placements.keys
    counts = await repository.placement_counts(conn, opening_ids, employer_ids,
                                               list({employer_id for employer_id, _ in keys}),  # any order
                                               engine.today, citizen.id)
    encoded = index.encode(citizen, placements, counts)
    pending = _score_encoded(engine, encoded, [(0, at, (citizen.id, *key)) for at, key in enumerate(keys)],
                             max_km=np.full(len(keys), max_km), wanted=query.scheme)

    async def current(batch: Sequence[_Pending]) -> dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None],
                                                         tuple[CitizenProfile, Placement]]:
        # With this request's counts, and without vectors: no fact the explanation quotes needs them.
        openings, employers = await repository.uncounted_rows(
            conn, [item.opening_id for item in batch if item.opening_id is not None],
            [item.employer_id for item in batch if item.opening_id is None])
        now = [placement_from_row(row, taxonomy, opening=True, vectors=(None, None), counts=counts)
               for row in openings]
        now += [placement_from_row(row, taxonomy, opening=False, vectors=(None, None), counts=counts)
                for row in employers]
        return {(citizen.id, placement.employer_id, placement.opening_id): (citizen, placement) for placement in now}

    return await _top_on_current_rows(conn, engine, pending, limit=query.limit, max_km=max_km, wanted=query.scheme,
                                      current=current)


async def _retrieve_openings(conn: asyncpg.Connection, engine: Engine, citizen: CitizenProfile,
                             postcodes: list[str], schemes: list[str],
                             taxonomy: TaxonomySnapshot) -> tuple[list[uuid.UUID], str]:
    """Every coarse-eligible opening when there are few; else the nearest by text and by taxonomy."""
    if not postcodes or not schemes:
        return [], "exact"
    vector = citizen.vector if citizen.vector is not None and engine.dims == len(citizen.vector) else None
    occupations = citizen.occupations | citizen.wished_occupations
    occupation_uris = sorted(occupations)
    isco_groups = sorted({group[:3] for group in occupations.values()})
    skill_uris = sorted(citizen.skill_uris)
    near = (citizen.latitude, citizen.longitude)
    if engine.index is not None:
        found = engine.index.opening_candidates(
            postcodes, engine.today, schemes, vector=vector, near=near, points=await _postcode_points(conn),
            occupation_uris=occupation_uris, isco_groups=isco_groups, skill_uris=skill_uris,
            occupation_isco=taxonomy.occupation_isco, every_up_to=EXACT_LIMIT, exact_up_to=None, dense_k=DENSE_K,
            taxonomy_k=TAXONOMY_K)
    else:
        found = await repository.opening_candidates(
            conn, postcodes, engine.today, schemes, encoder_id=engine.encoder_id, vector=vector, near=near,
            occupation_uris=occupation_uris, isco_groups=isco_groups, skill_uris=skill_uris,
            every_up_to=EXACT_LIMIT, exact_up_to=EXACT_SEARCH_LIMIT, dense_k=DENSE_K, taxonomy_k=TAXONOMY_K)
    if found.eligible <= EXACT_LIMIT:
        return found.ids, "exact"
    ids = set(found.ids)
    if vector is not None and engine.dims is not None and engine.index is None and found.eligible > EXACT_SEARCH_LIMIT:
        ids |= set(await repository.opening_ids_dense(conn, engine.dims, engine.encoder_id, vector, postcodes,
                                                      engine.today, schemes, DENSE_K))
    return sorted(ids, key=str), "approximate"


def _index_vectors(index: MatchingIndex | None, row: asyncpg.Record, *,
                   opening: bool) -> tuple[np.ndarray | None, np.ndarray | None] | None:
    if index is None:
        return None
    return (index.opening_vector(row["opening_id"]) if opening else None, index.employer_vector(row["employer_id"]))


async def _load_placements(conn: asyncpg.Connection, engine: Engine, taxonomy: TaxonomySnapshot,
                           opening_ids: Sequence[uuid.UUID], employer_ids: Sequence[uuid.UUID],
                           citizen_id: uuid.UUID | None) -> list[Placement]:
    """The placements as the engine sees them now (`citizen_id`: whose own open suggestions do not count
    as load); with the index, their vectors come from it rather than the rows."""
    index = engine.index
    encoder_id = None if index is not None else engine.encoder_id
    placements = []
    if opening_ids:
        rows = await repository.opening_rows(conn, opening_ids, engine.today, encoder_id, citizen_id)
        placements += [placement_from_row(row, taxonomy, opening=True, vectors=_index_vectors(index, row, opening=True))
                       for row in rows]
    if employer_ids:
        rows = await repository.employer_rows(conn, employer_ids, engine.today, encoder_id, citizen_id)
        placements += [placement_from_row(row, taxonomy, opening=False,
                                          vectors=_index_vectors(index, row, opening=False)) for row in rows]
    placements.sort(key=lambda placement: placement.key)
    return placements


# ---------------------------------------------------------------------------------------------------
# Candidates for an opening


async def candidates_for_opening(conn: asyncpg.Connection, principal: Principal, opening_id: uuid.UUID,
                                 query: MatchQuery, engine: Engine) -> RankedList:
    if principal.role.value == "employer":
        raise Forbidden("employers cannot see citizens; a consultant finds candidates for your openings")
    jobcentre_code = _jobcentre_of(principal)
    opening = await repository.opening_for_candidates(conn, opening_id)
    if opening is None:
        raise NotFound(f"no opening {opening_id}")
    generations = await repository.generations(conn)
    key = _cache_key("opening", opening_id, repository.data_version(generations), engine, query, [jobcentre_code])
    cached = await engine.cache.get(key)
    if cached is not None:
        result = RankedList.model_validate_json(cached)
        await audit.record(conn, principal, "candidates", [item.citizen.id for item in result.items if item.citizen],
                           jobcentre_code=jobcentre_code, detail={"opening_id": str(opening_id)})
        return result
    taxonomy = await taxonomy_snapshot.current(conn)
    if engine.index is not None:
        await engine.index.refresh(conn, taxonomy, generations)
    placement = (await _load_placements(conn, engine, taxonomy, [opening_id], [], None))[0]
    schemes = [s.value for s in sorted(placement.schemes & {query.scheme} if query.scheme else placement.schemes)]
    if query.scheme is not None and query.scheme not in placement.schemes:
        raise InvalidInput("scheme", f"the opening does not offer '{query.scheme.value}'")
    related = sorted(uri for uri, group in taxonomy.occupation_isco.items()
                     if placement.occupation_isco and group[:3] == placement.occupation_isco[:3])
    if engine.index is not None:
        vector = placement.opening_vector
        found = engine.index.citizen_candidates(
            jobcentre_code, (placement.latitude, placement.longitude), schemes, points=await _postcode_points(conn),
            vector=vector if vector is not None and engine.dims == len(vector) else None, occupation_uris=related,
            every_up_to=EXACT_LIMIT, dense_k=DENSE_K, taxonomy_k=TAXONOMY_K)
        chosen = await _candidates_from_index(conn, engine, engine.index, placement, found.ids, jobcentre_code,
                                              query=query, taxonomy=taxonomy)
        items = await _explain_and_store(conn, engine, chosen, origin="opening", lang=query.lang, taxonomy=taxonomy,
                                         with_citizen=True)
        considered, retrieval = len(found.ids), "exact" if found.eligible <= EXACT_LIMIT else "approximate"
    else:
        items, considered, retrieval = await _candidates_from_rows(conn, engine, placement, jobcentre_code, schemes,
                                                                   related, query=query, taxonomy=taxonomy)
    await audit.record(conn, principal, "candidates", [item.citizen.id for item in items if item.citizen],
                       jobcentre_code=jobcentre_code, detail={"opening_id": str(opening_id)})
    result = RankedList(items=items, warnings=_opening_warnings(placement, query.lang),
                        scorer_version=engine.scorer.version, considered=considered, retrieval=retrieval,
                        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
    await engine.cache.set(key, result.model_dump_json())
    return result


async def _candidates_from_index(conn: asyncpg.Connection, engine: Engine, index: MatchingIndex, placement: Placement,
                                 citizen_ids: Sequence[uuid.UUID], jobcentre_code: int, *, query: MatchQuery,
                                 taxonomy: TaxonomySnapshot) -> list[tuple[_Scored, str]]:
    """The top `query.limit` citizens for the opening, as `_candidates_from_rows` chooses them, but scored on
    the index's encoded citizens: only the chosen citizens are read in full."""
    encoded = index.encode_candidates(citizen_ids, placement)
    pending = _score_encoded(engine, encoded, [(at, 0, (citizen_id, placement.employer_id, placement.opening_id))
                                               for at, citizen_id in enumerate(citizen_ids)],
                             max_km=encoded.max_commute_km.astype(np.float64), wanted=query.scheme)

    async def current(batch: Sequence[_Pending]) -> dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None],
                                                         tuple[CitizenProfile, Placement]]:
        rows = await repository.citizen_rows(conn, [item.citizen_id for item in batch], engine.encoder_id,
                                             jobcentre_code)
        return {(row["id"], placement.employer_id, placement.opening_id): (citizen_profile(row, taxonomy), placement)
                for row in rows}

    return await _top_on_current_rows(conn, engine, pending, limit=query.limit, max_km=None, wanted=query.scheme,
                                      current=current)


async def _candidates_from_rows(conn: asyncpg.Connection, engine: Engine, placement: Placement, jobcentre_code: int,
                                schemes: list[str], related: list[str], *, query: MatchQuery,
                                taxonomy: TaxonomySnapshot) -> tuple[list[RankedItem], int, str]:
    """Candidates for the opening from citizens read in full: the ranked items, how many citizens were
    considered, and how they were retrieved."""
    citizen_ids = await repository.citizen_ids_within_reach(conn, jobcentre_code, placement.latitude,
                                                            placement.longitude, schemes)
    retrieval = "exact"
    if len(citizen_ids) > EXACT_LIMIT:
        retrieval = "approximate"
        found: set[uuid.UUID] = set()
        vector = placement.opening_vector
        if vector is None or engine.dims != len(vector):  # not encoded yet: the nearest citizens stand in
            found |= set(await repository.nearest_by_distance(conn, citizen_ids, placement.latitude,
                                                              placement.longitude, DENSE_K))
        elif len(citizen_ids) <= EXACT_SEARCH_LIMIT:
            found |= set(await repository.nearest_among(conn, "citizen", engine.encoder_id, vector, citizen_ids,
                                                        DENSE_K))
        else:
            found |= set(await repository.citizen_ids_dense(conn, engine.dims, engine.encoder_id, vector, citizen_ids,
                                                            DENSE_K))
        found |= set(await repository.citizen_ids_by_occupation(conn, citizen_ids, related, TAXONOMY_K))
        citizen_ids = sorted(found, key=str)
    rows = await repository.citizen_rows(conn, citizen_ids, engine.encoder_id, jobcentre_code)
    citizens = [citizen_profile(row, taxonomy) for row in sorted(rows, key=lambda item: str(item["id"]))]
    scored, _ = _rank(engine, citizens, [placement], np.arange(len(citizens)), np.zeros(len(citizens), dtype=np.int64),
                      max_km=np.array([citizen.max_commute_km for citizen in citizens], dtype=np.float64),
                      wanted=query.scheme)
    items = await _rank_and_store(conn, engine, scored, limit=query.limit, origin="opening", lang=query.lang,
                                  taxonomy=taxonomy, with_citizen=True)
    return items, len(rows), retrieval


# ---------------------------------------------------------------------------------------------------
# Pairs for internal work (training, evaluation, batch runs): no caller, no audit, no storing


@dataclass(frozen=True)
class PairKey:
    citizen_id: uuid.UUID
    employer_id: uuid.UUID
    opening_id: uuid.UUID | None
    scheme: Scheme


PlacementKey = tuple[uuid.UUID, uuid.UUID | None]


async def load_profiles(conn: asyncpg.Connection, engine: Engine, citizen_ids: Iterable[uuid.UUID],
                        opening_ids: Iterable[uuid.UUID], employer_ids: Iterable[uuid.UUID],
                        ) -> tuple[dict[uuid.UUID, CitizenProfile], dict[PlacementKey, Placement]]:
    """Citizens by id, and placements by (employer id, opening id or None), as the engine sees them now.
    Employer load counts every open suggestion (no citizen is left out)."""
    taxonomy = await taxonomy_snapshot.current(conn)
    rows = await repository.citizen_rows(conn, sorted(set(citizen_ids), key=str), engine.encoder_id, None)
    citizens = {row["id"]: citizen_profile(row, taxonomy) for row in rows}
    placements = await _load_placements(conn, engine, taxonomy, sorted(set(opening_ids), key=str),
                                        sorted(set(employer_ids), key=str), None)
    return citizens, {(placement.employer_id, placement.opening_id): placement for placement in placements}


def facts_for(citizen: CitizenProfile, placement: Placement, scheme: Scheme, today: dt.date) -> PairFacts:
    """The features of a pair for a given scheme (whether or not the pair is eligible today)."""
    commute_km = great_circle_km(citizen.latitude, citizen.longitude, placement.latitude, placement.longitude)
    return pair_facts(citizen, placement, scheme=scheme, commute_km=commute_km, today=today)


def is_eligible(citizen: CitizenProfile, placement: Placement, today: dt.date) -> bool:
    """Whether the pair passes every hard rule today (with the citizen's own max commute)."""
    commute_km = great_circle_km(citizen.latitude, citizen.longitude, placement.latitude, placement.longitude)
    return not eligibility.exclusions(citizen, placement, commute_km=commute_km,
                                      max_km=float(citizen.max_commute_km), wanted_scheme=None, today=today)


# ---------------------------------------------------------------------------------------------------
# Feedback


def _suggestion(row: asyncpg.Record, events: list[asyncpg.Record]) -> Suggestion:
    return Suggestion.model_validate({**dict(row), "events": [FeedbackEvent.model_validate(dict(e)) for e in events]})


async def get_suggestion(conn: asyncpg.Connection, principal: Principal, suggestion_id: uuid.UUID) -> Suggestion:
    jobcentre_code = _jobcentre_of(principal)
    row = await repository.get_suggestion(conn, suggestion_id, jobcentre_code)
    if row is None:
        raise NotFound(f"no suggestion {suggestion_id}")
    await audit.record(conn, principal, "read", [row["citizen_id"]], jobcentre_code=jobcentre_code,
                       detail={"suggestion_id": str(suggestion_id)})
    return _suggestion(row, await repository.suggestion_events(conn, suggestion_id))


_TRANSITIONS = {"proposed": {"contacted", "declined"}, "contacted": {"accepted", "declined"}}


async def record_feedback(conn: asyncpg.Connection, principal: Principal, suggestion_id: uuid.UUID,
                          feedback: FeedbackCreate) -> Suggestion:
    """proposed → contacted → accepted | declined, or proposed → declined; decided suggestions are final."""
    jobcentre_code = _jobcentre_of(principal)
    row = await repository.get_suggestion(conn, suggestion_id, jobcentre_code, lock=True)
    if row is None:
        raise NotFound(f"no suggestion {suggestion_id}")
    current = row["state"]
    if feedback.state not in _TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(_TRANSITIONS.get(current, set()))) or "nothing (it is decided)"
        raise Conflict(f"a {current} suggestion cannot become {feedback.state}; it can become {allowed}")
    reason = feedback.reason_code.value if feedback.reason_code is not None else None
    decline_reasons = [item.value for item in DeclineReason]
    if feedback.state == "declined" and reason not in decline_reasons:
        raise InvalidInput("reason_code", "give a decline reason: " + ", ".join(decline_reasons))
    if feedback.state == "accepted" and reason in decline_reasons:
        raise InvalidInput("reason_code", "a decline reason cannot explain an acceptance")
    if feedback.state == "contacted" and reason is not None:
        raise InvalidInput("reason_code", "no reason code when marking a suggestion contacted")
    await repository.set_state(conn, suggestion_id, from_state=current, to_state=feedback.state,
                               reason_code=reason, note=feedback.note, actor_id=principal.user_id)
    await audit.record(conn, principal, "feedback", [row["citizen_id"]], jobcentre_code=jobcentre_code,
                       detail={"suggestion_id": str(suggestion_id), "state": feedback.state, "reason": reason})
    updated = await repository.get_suggestion(conn, suggestion_id, jobcentre_code)
    assert updated is not None
    return _suggestion(updated, await repository.suggestion_events(conn, suggestion_id))

