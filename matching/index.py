"""An in-process index of openings, employers and citizens: what retrieval reads about every one of them,
each opening and employer encoded as a placement and each citizen as a citizen for `matching.vectorised`,
held in NumPy columns by each service process. Finding a citizen's candidates (or an opening's) then costs a
few milliseconds of array work instead of PostgreSQL statements that read every eligible row's vector
(~4 µs a row, ~45 ms a suggestion), and scoring them needs no rows: for suggestions only the counts that
change with every suggestion and placement (free slots, other citizens' open suggestions, the employer's
track record) are read per request (`repository.placement_counts`); for candidates the one opening is read
in full. The engine reads the full rows of the few pairs it returns and applies every hard rule to those
again, so a paused, full or expired opening, or an inactive or erased citizen, is never shown from an index
that is behind.

It catches up before every use by reading the rows changed since it last looked: each write stamps the
rows it touches with its scope's new generation, in commit order (migrations 0010 and 0011). An employer's
change re-encodes its openings (they carry its offers and industry), an opening's change its employer (the
ISCO groups of its openings). Deletes of openings, employers or their vectors, which leave nothing to read,
and a new taxonomy version (labels and ISCO groups of the keys) make it rebuild; erased citizens and
deleted citizen vectors are looked up and dropped. Selection is the same as the SQL statements
(`repository.opening_candidates`, `citizen_ids_within_reach` and the rest) and rankings the same as from
rows (`tests/matching/test_index.py` compares both); the text vectors are unit-normalised float32, ~1.5 KB
a row, and the encoded columns ~0.5 KB (~300 MB at 100,000 openings, 30,000 employers and 50,000 citizens).
"""
import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from core.vocab import Scheme
from matching import repository, vectorised
from matching.profiles import CitizenProfile, Placement
from matching.repository import Candidates, PlacementCounts
from matching.rows import citizen_profile, placement_from_row, retrieval_occupations
from matching.vectorised import NEVER, SCHEME_CODE, EncodedProfiles, great_circle_km
from taxonomy import snapshot as taxonomy_snapshot
from taxonomy.snapshot import TaxonomySnapshot

_SCOPES = ["placements", "vectors", "removals", "citizens", "citizen_removals"]
_NO_DATE = dt.date.max.toordinal()
_ORDINARY = 1 << SCHEME_CODE[Scheme.ORDINARY]

_OPENINGS = f"""
    SELECT {repository.UNCOUNTED_OPENING_FACTS},
           o.status = 'open' AS open, o.essential_skill_uris, v.embedding
    FROM {repository.OPENINGS_WITH_EMPLOYERS}
    LEFT JOIN text_vectors v ON v.entity_kind = 'opening' AND v.entity_id = o.id AND v.encoder_id = $1"""
_EMPLOYERS = f"""
    SELECT {repository.UNCOUNTED_EMPLOYER_FACTS}, e.status = 'paused' AS paused,
           v.embedding
    FROM {repository.EMPLOYERS_WITH_GROUPS}
    LEFT JOIN text_vectors v ON v.entity_kind = 'employer' AND v.entity_id = e.id AND v.encoder_id = $1"""


_CITIZENS = f"SELECT {repository.CITIZEN_FACTS} FROM {repository.CITIZENS_WITH_VECTORS.format(encoder='$1')}"


def _changed(alias: str, table: str, kind: str, related: str | None = None) -> str:
    """Only rows stamped after generation $2, whose vector (encoder $1) was stamped after $3, or whose
    encoding reads a row stamped after $2 (`related`: the ids of those)."""
    return f"""
    WHERE {alias}.id IN (SELECT id FROM {table} WHERE generation > $2
                         UNION SELECT entity_id FROM text_vectors
                               WHERE generation > $3 AND entity_kind = '{kind}' AND encoder_id = $1
                         {"" if related is None else f"UNION {related}"})"""


# An opening carries its employer's offers and industry; an employer the ISCO groups of its openings.
_CHANGED_OPENINGS = _OPENINGS + _changed(
    "o", "openings", "opening",
    "SELECT id FROM openings WHERE employer_id IN (SELECT id FROM employers WHERE generation > $2)")
_CHANGED_EMPLOYERS = _EMPLOYERS + _changed("e", "employers", "employer",
                                           "SELECT employer_id FROM openings WHERE generation > $2")
_CHANGED_CITIZENS = _CITIZENS + _changed("c", "citizens", "citizen")
_GONE_CITIZENS = """SELECT i.id, c.id IS NULL AS gone, v.entity_id IS NULL AS without_vector
    FROM unnest($2::uuid[]) AS i(id) LEFT JOIN citizens c ON c.id = i.id
    LEFT JOIN text_vectors v ON v.entity_kind = 'citizen' AND v.entity_id = i.id AND v.encoder_id = $1"""

# The columns of an encoded placement that change with every suggestion and placement, or come from
# the vectors: set per request, never stored.
_PER_REQUEST = frozenset({"free_slots", "track_record", "experience", "load", "text_vectors", "text_has_vector",
                          "employer_vectors", "employer_has_vector", "citizen_vectors", "citizen_has_vector"})
_FLOAT32_SLACK = 1e-5  # float32 cosine error bound (~1e-6 at 384 dimensions) with room to spare
_GATHER_ROWS = 512  # vectors gathered at a time for a product (768 KB at 384 dimensions: within the CPU cache)



_HELD_COLUMNS = frozenset(field.name for field in dataclasses.fields(EncodedProfiles)) - _PER_REQUEST


def _stack(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Rows of both, 2-D ones padded with NEVER to the wider."""
    if top.ndim == 2 and top.shape[1] != bottom.shape[1]:
        stacked = np.full((len(top) + len(bottom), max(top.shape[1], bottom.shape[1])), NEVER,
                          dtype=np.result_type(top, bottom))
        stacked[:len(top), :top.shape[1]] = top
        stacked[len(top):, :bottom.shape[1]] = bottom
        return stacked
    return np.concatenate([top, bottom])


class _Table:
    """Rows addressed by position, in growable NumPy columns; a changed row is overwritten in place."""

    def __init__(self, columns: Mapping[str, tuple[np.dtype, tuple[int, ...], object]]) -> None:
        self._spec = dict(columns)
        self.ids: list[uuid.UUID] = []
        self.position: dict[uuid.UUID, int] = {}
        self.columns = {name: np.full((16, *shape), fill, dtype=dtype)
                        for name, (dtype, shape, fill) in columns.items()}

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, entity_id: uuid.UUID) -> int:
        """The position of the entity, appended (with the columns' fill values) when new."""
        found = self.position.get(entity_id)
        if found is not None:
            return found
        position = len(self.ids)
        self.ids.append(entity_id)
        self.position[entity_id] = position
        capacity = len(self.columns["key"])
        if position >= capacity:
            for name, (dtype, _, fill) in self._spec.items():
                grown = np.full((2 * capacity, *self.columns[name].shape[1:]), fill, dtype=dtype)
                grown[:capacity] = self.columns[name]
                self.columns[name] = grown
        self.columns["key"][position] = entity_id.bytes
        return position

    def widen(self, name: str, width: int) -> None:
        """Make a 2-D column at least `width` wide."""
        column = self.columns[name]
        if column.shape[1] < width:
            dtype, _, fill = self._spec[name]
            wider = np.full((len(column), width), fill, dtype=dtype)
            wider[:, :column.shape[1]] = column
            self.columns[name] = wider
            self._spec[name] = (dtype, (width,), fill)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name][:len(self.ids)]

    def assign(self, positions: np.ndarray, values: Mapping[str, np.ndarray]) -> None:
        """Write rows at `positions` (all present) for each named column, creating the column (zeros) the
        first time; 64-bit integers are held as 32-bit, 2-D columns widen or pad with zeros (NEVER)."""
        for name, given in values.items():
            value = given.astype(np.int32) if given.dtype == np.int64 else given
            if name not in self.columns:
                self._spec[name] = (value.dtype, value.shape[1:], 0)
                self.columns[name] = np.zeros((len(self.columns["key"]), *value.shape[1:]), dtype=value.dtype)
            if value.ndim == 2:
                self.widen(name, value.shape[1])
                self.columns[name][positions] = 0
                self.columns[name][positions, :value.shape[1]] = value
            else:
                self.columns[name][positions] = value


@dataclass(frozen=True)
class IndexedPlacements:
    """Placements a ranking scores, as the index holds them: the openings, then the employers without one."""

    opening_ids: list[uuid.UUID]
    employer_ids: list[uuid.UUID]
    keys: list[tuple[uuid.UUID, uuid.UUID | None]]  # (employer id, opening id or None) per placement
    at_opening: np.ndarray  # positions in the index's tables
    at_employer: np.ndarray
    employer_of: np.ndarray  # each opening's employer's position


@dataclass(frozen=True)
class _Available:
    openings: np.ndarray  # open, not expired, and the employer not paused
    employers: np.ndarray  # not paused
    with_opening: np.ndarray  # employers with an open opening that has not expired


def _scheme_mask(values: Collection[str]) -> int:
    return sum(1 << SCHEME_CODE[Scheme(value)] for value in values)


def _ordinal(day: dt.date | None) -> int:
    return _NO_DATE if day is None else day.toordinal()


class MatchingIndex:
    """The retrieval facts and encodings of every opening, employer and citizen, with their text vectors of
    one encoder."""

    def __init__(self, encoder_id: str, dims: int | None) -> None:
        self.encoder_id = encoder_id
        self.dims = dims
        self._lock = asyncio.Lock()
        self._scratch = np.empty((0, 0), dtype=np.float32)  # `_products`' block (one event loop: never shared)
        self._seen: dict[str, int] | None = None
        self._reset()

    def _reset(self) -> None:
        self._codes: dict[str, dict[str, int]] = {"postcode": {}, "occupation": {}, "skill": {}}
        self._vocabulary: dict[str, int] = {"": NEVER}
        self._groups = np.zeros(0, dtype="U3")
        self._postcode_centres = np.zeros((0, 2))
        self._taxonomy_version: str | None = None
        self._available_on: dict[dt.date, _Available] = {}
        self.openings = _Table({
            "key": (np.dtype("S16"), (), b""), "employer": (np.dtype(np.int32), (), 0),
            "postcode": (np.dtype(np.int32), (), -1), "open": (np.dtype(bool), (), False),
            "expires": (np.dtype(np.int32), (), _NO_DATE), "schemes": (np.dtype(np.uint8), (), 0),
            "occupation": (np.dtype(np.int32), (), -1), "skills": (np.dtype(np.int32), (4,), -1),
            **self._vector_columns()})
        self.employers = _Table({
            "key": (np.dtype("S16"), (), b""), "postcode": (np.dtype(np.int32), (), -1),
            "schemes": (np.dtype(np.uint8), (), 0), "paused": (np.dtype(bool), (), False),
            "paused_until": (np.dtype(np.int32), (), _NO_DATE), **self._vector_columns()})
        # Citizens: what retrieval reads (as `repository.citizen_ids_within_reach` and
        # `citizen_ids_by_occupation`), and each one encoded as `vectorised.encode_citizens` would.
        self.citizens = _Table({
            "key": (np.dtype("S16"), (), b""), "jobcentre": (np.dtype(np.int32), (), -1),
            "active": (np.dtype(bool), (), False), "postcode": (np.dtype(np.int32), (), -1),
            "schemes": (np.dtype(np.uint8), (), 0), "occupations": (np.dtype(np.int32), (4,), -1),
            **self._vector_columns()})

    def _vector_columns(self) -> dict[str, tuple[np.dtype, tuple[int, ...], object]]:
        return {"norm": (np.dtype(np.float32), (), 0.0),
                "vector": (np.dtype(np.float32), (self.dims or 1,), 0.0)}

    def _put_vector(self, table: "_Table", at: int, value: Any) -> None:
        vector = None if value is None else np.asarray(value.to_numpy(), dtype=np.float32)
        if vector is not None and len(vector) == self.dims:
            table.columns["norm"][at] = float(np.linalg.norm(vector))
            table.columns["vector"][at] = vector
        else:
            table.columns["norm"][at] = 0.0
            table.columns["vector"][at] = 0.0

    @staticmethod
    def _vector(table: "_Table", entity_id: uuid.UUID) -> np.ndarray | None:
        at = table.position.get(entity_id)
        if at is None or table.columns["norm"][at] == 0:
            return None
        copy: np.ndarray = table.columns["vector"][at].copy()
        return copy

    def opening_vector(self, opening_id: uuid.UUID) -> np.ndarray | None:
        """The opening's text vector as of the last look (a copy), None without one."""
        return self._vector(self.openings, opening_id)

    def employer_vector(self, employer_id: uuid.UUID) -> np.ndarray | None:
        """The employer's profile vector as of the last look (a copy), None without one."""
        return self._vector(self.employers, employer_id)

    def _code(self, family: str, value: str) -> int:
        codes = self._codes[family]
        return codes.setdefault(value, len(codes))

    # -----------------------------------------------------------------------------------------------
    # Keeping current

    async def refresh(self, conn: asyncpg.Connection, taxonomy: TaxonomySnapshot | None = None,
                      generations: Mapping[str, int] | None = None) -> None:
        """Read what changed since the last look (everything the first time, after a delete, or for a new
        taxonomy version). `taxonomy` and `generations` (`repository.generations`), when the caller has
        read them: the index then catches up to those generations."""
        async with self._lock:
            every = generations or await repository.generations(conn)
            generations = {scope: every[scope] for scope in _SCOPES}
            taxonomy = taxonomy or await taxonomy_snapshot.current(conn)
            if generations == self._seen and taxonomy.version == self._taxonomy_version:
                return
            if (self._seen is None or generations["removals"] != self._seen["removals"]
                    or taxonomy.version != self._taxonomy_version):
                self._reset()
                self._seen = None
            if self._seen is None:
                employers = await conn.fetch(_EMPLOYERS, self.encoder_id)
                openings = await conn.fetch(_OPENINGS, self.encoder_id)
                citizens = await conn.fetch(_CITIZENS, self.encoder_id)
            else:
                since = self._seen
                moved = {scope for scope in _SCOPES if generations[scope] != since[scope]}
                employers, openings, citizens = [], [], []
                if moved & {"placements", "vectors"}:
                    changed = (self.encoder_id, since["placements"], since["vectors"])
                    employers = await conn.fetch(_CHANGED_EMPLOYERS, *changed)
                    openings = await conn.fetch(_CHANGED_OPENINGS, *changed)
                if "citizen_removals" in moved:
                    await self._forget_citizens(conn)
                if moved & {"citizens", "vectors"}:
                    citizens = await conn.fetch(_CHANGED_CITIZENS, self.encoder_id, since["citizens"], since["vectors"])
            if employers or openings:
                self._available_on = {}
            self._apply_employers(employers, taxonomy)
            self._apply_openings(openings, taxonomy)
            self._apply_citizens(citizens, taxonomy)
            self._seen = generations
            self._taxonomy_version = taxonomy.version

    def _encode(self, table: "_Table", positions: np.ndarray, rows: Sequence[asyncpg.Record],
                taxonomy: TaxonomySnapshot, *, opening: bool) -> None:
        """Store the rows encoded as placements (`vectorised.encode_placements`), but for what is set per
        request."""
        placements = [placement_from_row(row, taxonomy, opening=opening, vectors=(None, None)) for row in rows]
        columns = vectorised.encode_placements(placements, self._vocabulary)
        # The rows count nothing (`repository.UNCOUNTED_*_FACTS`): free slots are the slots, or the capacity.
        table.assign(positions, {**{name: value for name, value in columns.items() if name not in _PER_REQUEST},
                                 "slots": columns["free_slots"]})

    def _apply_employers(self, rows: Sequence[asyncpg.Record], taxonomy: TaxonomySnapshot) -> None:
        table = self.employers
        positions = np.zeros(len(rows), dtype=np.int64)
        for number, row in enumerate(rows):
            at = positions[number] = table.row(row["employer_id"])
            table.columns["postcode"][at] = self._code("postcode", row["postcode"])
            table.columns["schemes"][at] = _scheme_mask(row["schemes"])
            table.columns["paused"][at] = row["paused"]
            table.columns["paused_until"][at] = _ordinal(row["employer_paused_until"])
            self._put_vector(table, at, row["embedding"])
        self._encode(table, positions, rows, taxonomy, opening=False)

    def _apply_openings(self, rows: Sequence[asyncpg.Record], taxonomy: TaxonomySnapshot) -> None:
        table = self.openings
        positions = np.zeros(len(rows), dtype=np.int64)
        for number, row in enumerate(rows):
            at = positions[number] = table.row(row["opening_id"])
            columns = table.columns
            # An employer created after this look's employer read is filled in by the next look.
            columns["employer"][at] = self.employers.row(row["employer_id"])
            columns["postcode"][at] = self._code("postcode", row["postcode"])
            columns["open"][at] = row["open"]
            columns["expires"][at] = _ordinal(row["expires_on"])
            columns["schemes"][at] = _scheme_mask(row["schemes"])
            columns["occupation"][at] = -1 if row["occupation_uri"] is None else self._code("occupation",
                                                                                            row["occupation_uri"])
            skills = [self._code("skill", uri) for uri in row["essential_skill_uris"] or []]
            table.widen("skills", len(skills))
            columns = table.columns
            columns["skills"][at] = -1
            columns["skills"][at, :len(skills)] = skills
            self._put_vector(table, at, row["embedding"])
        self._encode(table, positions, rows, taxonomy, opening=True)

    def _apply_citizens(self, rows: Sequence[asyncpg.Record], taxonomy: TaxonomySnapshot) -> None:
        """Store the citizens' retrieval facts and their encoding; the keys they hold join the vocabulary,
        so that a key a placement gains later is one the citizens' encodings already name."""
        if not rows:
            return
        table = self.citizens
        profiles = [citizen_profile(row, taxonomy) for row in rows]
        for profile in profiles:
            for text in vectorised.citizen_keys(profile):
                self._vocabulary.setdefault(text, len(self._vocabulary))
        positions = np.zeros(len(rows), dtype=np.int64)
        for number, row in enumerate(rows):
            at = positions[number] = table.row(row["id"])
            columns = table.columns
            columns["jobcentre"][at] = row["jobcentre_code"]
            columns["active"][at] = row["active"]
            columns["postcode"][at] = self._code("postcode", row["postcode"])
            columns["schemes"][at] = _scheme_mask(row["schemes"])
            occupations = [self._code("occupation", uri) for uri in retrieval_occupations(row)]
            table.widen("occupations", len(occupations))
            columns = table.columns
            columns["occupations"][at] = -1
            columns["occupations"][at, :len(occupations)] = occupations
            self._put_vector(table, at, row["embedding"])
        encoded = vectorised.encode_citizens(profiles, self._vocabulary)
        owner, key_ids = encoded.pop("citizen_key_owner"), encoded.pop("citizen_key_ids")
        starts = np.searchsorted(owner, np.arange(len(rows)))
        held = np.zeros((len(rows), max(1, int(np.bincount(owner, minlength=1).max()))), dtype=np.int32)
        held[owner, np.arange(len(owner)) - starts[owner]] = key_ids  # padded with NEVER
        table.assign(positions, {**{name: value for name, value in encoded.items() if name not in _PER_REQUEST},
                                 "citizen_keys": held})

    async def _forget_citizens(self, conn: asyncpg.Connection) -> None:
        """Citizens erased, or whose vector was deleted, since the last look: none is found again."""
        table = self.citizens
        for row in await conn.fetch(_GONE_CITIZENS, self.encoder_id, table.ids):
            at = table.position[row["id"]]
            if row["gone"]:
                table.columns["active"][at] = False
                table.columns["jobcentre"][at] = -1
            if row["without_vector"]:
                table.columns["norm"][at] = 0.0
                table.columns["vector"][at] = 0.0

    # -----------------------------------------------------------------------------------------------
    # Placements encoded for scoring

    def placements(self, opening_ids: Sequence[uuid.UUID], employer_ids: Sequence[uuid.UUID]) -> IndexedPlacements:
        """The openings, then the employers without one, as the index holds them."""
        at_opening = self._positions(self.openings, opening_ids)
        employer_of = self.openings["employer"][at_opening]
        keys: list[tuple[uuid.UUID, uuid.UUID | None]] = [
            (self.employers.ids[employer], opening)
            for employer, opening in zip(employer_of.tolist(), opening_ids, strict=True)]
        keys += [(employer_id, None) for employer_id in employer_ids]
        return IndexedPlacements(opening_ids=list(opening_ids), employer_ids=list(employer_ids), keys=keys,
                                 at_opening=at_opening, at_employer=self._positions(self.employers, employer_ids),
                                 employer_of=employer_of)

    @staticmethod
    def _positions(table: "_Table", entity_ids: Sequence[uuid.UUID]) -> np.ndarray:
        return np.array([table.position[entity_id] for entity_id in entity_ids], dtype=np.int64)

    def encode(self, citizen: CitizenProfile, placements: IndexedPlacements,
               counts: PlacementCounts) -> EncodedProfiles:
        """The citizen and the placements encoded as `vectorised.encode_profiles` encodes their profiles, with
        the counts read for this request (`repository.placement_counts`)."""
        openings, employers = self.openings, self.employers
        at_opening, at_employer, employer_of = placements.at_opening, placements.at_employer, placements.employer_of
        opening_ids, employer_ids, keys = placements.opening_ids, placements.employer_ids, placements.keys
        columns: dict[str, Any] = {}
        for name in openings.columns.keys() & employers.columns.keys():
            if name in _HELD_COLUMNS:
                columns[name] = _stack(openings[name][at_opening], employers[name][at_employer])
        active = [counts.active_by_opening.get(opening_id, 0) for opening_id in opening_ids]
        active += [counts.active_by_employer.get(employer_id, 0) for employer_id in employer_ids]
        others_open = np.array([counts.open_by_opening.get(opening_id, 0) for opening_id in opening_ids]
                               + [counts.open_by_employer.get(employer_id, 0) for employer_id in employer_ids],
                               dtype=np.int64).reshape(-1)
        past, successes = np.array([counts.track_by_employer.get(employer_id, (0, 0)) for employer_id, _ in keys],
                                   dtype=np.int64).reshape(-1, 2).T
        slots = np.concatenate([openings["slots"][at_opening], employers["slots"][at_employer]]).astype(np.int64)
        free_slots = slots - np.array(active, dtype=np.int64)
        columns.update(free_slots=free_slots, track_record=vectorised.track_record(past, successes),
                       experience=vectorised.experience(past), load=vectorised.employer_load(others_open, free_slots))
        if self.dims is not None:
            text = np.concatenate([openings["vector"][at_opening], employers["vector"][at_employer]])
            text_norm = np.concatenate([openings["norm"][at_opening], employers["norm"][at_employer]])
            employer_at = np.concatenate([employer_of, at_employer])
            columns.update(text_vectors=text.astype(np.float32), text_has_vector=text_norm > 0,
                           employer_vectors=employers["vector"][employer_at],
                           employer_has_vector=employers["norm"][employer_at] > 0)
        else:
            columns.update(text_vectors=None, text_has_vector=np.zeros(len(keys), dtype=bool),
                           employer_vectors=None, employer_has_vector=np.zeros(len(keys), dtype=bool))
        return EncodedProfiles(key_count=len(self._vocabulary),
                               **vectorised.encode_citizens([citizen], self._vocabulary), **columns)

    # -----------------------------------------------------------------------------------------------
    # Queries

    def _in_area(self, table: _Table, postcodes: Sequence[str]) -> np.ndarray:
        reach = np.zeros(len(self._codes["postcode"]) + 1, dtype=bool)
        reach[[self._codes["postcode"][code] for code in postcodes if code in self._codes["postcode"]]] = True
        area: np.ndarray = reach[table["postcode"]]
        return area

    def _available(self, today: dt.date) -> _Available:
        """What the coarse filters read about every opening and employer on `today`, computed once per day
        and look (a look that applies changes drops it)."""
        found = self._available_on.get(today)
        if found is None:
            openings, employers = self.openings, self.employers
            paused = employers["paused"] & (employers["paused_until"] > today.toordinal())
            open_now = openings["open"] & (openings["expires"] >= today.toordinal())
            found = _Available(openings=open_now & ~paused[openings["employer"]], employers=~paused,
                               with_opening=np.bincount(openings["employer"][open_now], minlength=len(employers)) > 0)
            self._available_on = {today: found}
        return found

    def opening_candidates(self, postcodes: Sequence[str], today: dt.date, schemes: Sequence[str], *,
                           vector: np.ndarray | None, near: tuple[float, float],
                           points: Mapping[str, tuple[float, float]], occupation_uris: Collection[str],
                           isco_groups: Collection[str], skill_uris: Collection[str],
                           occupation_isco: Mapping[str, str], every_up_to: int, exact_up_to: int | None,
                           dense_k: int, taxonomy_k: int) -> Candidates:
        """As `repository.opening_candidates`: the coarse filter (open, unexpired, employer not paused,
        shared scheme, in the postcodes), then every eligible opening (up to `every_up_to` of them) or the
        `dense_k` nearest by cosine distance (up to `exact_up_to`, None: any number; beyond, none: the caller
        asks HNSW; without a `vector`, the `dense_k` nearest to `near` by distance, `points`: postcode → its
        centre) and the `taxonomy_k` best taxonomy matches (`occupation_isco`: the snapshot's occupation →
        ISCO group)."""
        table = self.openings
        eligible = np.flatnonzero(self._available(today).openings & ((table["schemes"] & _scheme_mask(schemes)) != 0)
                                  & self._in_area(table, postcodes))
        if len(eligible) <= every_up_to:
            return self._found(table, eligible, len(eligible))
        chosen = [self._taxonomy(eligible, occupation_uris, isco_groups, skill_uris, occupation_isco, taxonomy_k)]
        if vector is None:
            chosen.append(self._nearest_to(table, eligible, self._km_to(near, points)[table["postcode"][eligible]],
                                           dense_k))
        elif len(vector) == self.dims and (exact_up_to is None or len(eligible) <= exact_up_to):
            chosen.append(self._nearest(table, eligible, vector, dense_k))
        return self._found(table, np.unique(np.concatenate(chosen)), len(eligible))

    @staticmethod
    def _nearest_to(table: _Table, rows: np.ndarray, km: np.ndarray, k: int) -> np.ndarray:
        """The k of the rows nearest by distance (`km`, per row), ties by id: what stands in for the nearest
        by text while the query's text is not encoded."""
        nearest: np.ndarray = rows[np.lexsort((table["key"][rows], km))[:k]]
        return nearest

    @staticmethod
    def _found(table: _Table, positions: np.ndarray, eligible: int) -> Candidates:
        ordered = positions[np.argsort(table["key"][positions], kind="stable")]
        return Candidates(ids=[table.ids[at] for at in ordered.tolist()], eligible=eligible)

    def _nearest(self, table: _Table, eligible: np.ndarray, vector: np.ndarray, k: int) -> np.ndarray:
        """The k nearest by cosine distance, ties by id; rows without a vector are never among them."""
        norms = table["norm"][eligible]
        rows, norms = eligible[norms > 0], norms[norms > 0]
        query = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        if norm == 0 or not len(rows):
            return rows[:0]
        # float32 products choose the few near the cut; float64, rounded, orders those, so that equal
        # vectors tie exactly (float32 BLAS rounds by row position) and ties break by id as in SQL.
        similarity = self._products(table["vector"], rows, query / norm) / norms
        if len(rows) > k:
            cut = np.partition(similarity, len(rows) - k)[len(rows) - k]
            near_cut = similarity >= cut - _FLOAT32_SLACK
            rows, norms = rows[near_cut], norms[near_cut]
        similarity = np.round((table["vector"][rows].astype(np.float64) @ (query.astype(np.float64) / norm))
                              / norms, 9)
        order = np.lexsort((table["key"][rows], -similarity))
        nearest: np.ndarray = rows[order[:k]]
        return nearest

    def _products(self, vectors: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """vectors[rows] @ query, gathered a cache-sized block at a time: gathering every row first writes
        (and reads back) megabytes, which took three times as long as the products at 25,000 rows."""
        if self._scratch.shape != (_GATHER_ROWS, vectors.shape[1]):
            self._scratch = np.empty((_GATHER_ROWS, vectors.shape[1]), dtype=np.float32)
        products = np.empty(len(rows), dtype=np.float32)
        for start in range(0, len(rows), _GATHER_ROWS):
            part = rows[start:start + _GATHER_ROWS]
            block = np.take(vectors, part, axis=0, out=self._scratch[:len(part)], mode="clip")  # "raise" copies
            np.dot(block, query, out=products[start:start + len(part)])
        return products

    def _taxonomy(self, eligible: np.ndarray, occupation_uris: Collection[str], isco_groups: Collection[str],
                  skill_uris: Collection[str], occupation_isco: Mapping[str, str], k: int) -> np.ndarray:
        """Openings for the occupations, related ISCO groups (3 digits) or essential skills; exact
        occupations first, then group matches, then by id."""
        codes = self._codes
        occupation = self.openings["occupation"][eligible]
        # Per occupation code (and -1, none, last): whether it is one of the citizen's, or in their groups.
        exact_codes = np.zeros(len(codes["occupation"]) + 1, dtype=bool)
        exact_codes[[codes["occupation"][uri] for uri in occupation_uris if uri in codes["occupation"]]] = True
        group_codes = np.append(np.isin(self._occupation_groups(occupation_isco), list(isco_groups)), False)
        exact, group = exact_codes[occupation], group_codes[occupation]
        held = [codes["skill"][uri] for uri in skill_uris if uri in codes["skill"]]
        skill = np.zeros(len(eligible), bool)
        if held:
            held_codes = np.zeros(len(codes["skill"]) + 1, dtype=bool)  # the last for -1, no skill
            held_codes[held] = True
            skill = held_codes[self.openings["skills"][eligible]].any(axis=1)
        match = exact | group | skill
        rows, exact, group = eligible[match], exact[match], group[match]
        order = np.lexsort((self.openings["key"][rows], ~group, ~exact))
        found: np.ndarray = rows[order[:k]]
        return found

    def _occupation_groups(self, occupation_isco: Mapping[str, str]) -> np.ndarray:
        """The 3-digit ISCO group of each occupation code ("" when the taxonomy has none)."""
        codes = self._codes["occupation"]
        if len(self._groups) != len(codes):
            self._groups = np.array([occupation_isco.get(uri, "")[:3] for uri in codes], dtype="U3")
        return self._groups

    def _km_to(self, near: tuple[float, float], points: Mapping[str, tuple[float, float]]) -> np.ndarray:
        """The distance from each postcode code's centre (`points`: postcode → its centre) to `near`."""
        centres = self._centres(points)
        km: np.ndarray = great_circle_km(centres[:, 0], centres[:, 1], np.full(len(centres), near[0]),
                                         np.full(len(centres), near[1]))
        return km

    def _centres(self, points: Mapping[str, tuple[float, float]]) -> np.ndarray:
        """Latitude and longitude of each postcode code."""
        codes = self._codes["postcode"]
        if len(self._postcode_centres) != len(codes):
            self._postcode_centres = np.array([points[postcode] for postcode in codes],
                                              dtype=np.float64).reshape(len(codes), 2)
        return self._postcode_centres

    def employers_without_openings(self, postcodes: Sequence[str], today: dt.date, schemes: Sequence[str], *,
                                   near: tuple[float, float], points: Mapping[str, tuple[float, float]],
                                   limit: int) -> list[uuid.UUID]:
        """As `repository.employer_ids_without_openings`: employers in the postcodes, not paused, open to a
        shared scheme other than an ordinary job, with no open unexpired opening; the `limit` nearest to
        `near` (`points`: postcode → its centre), ties by id."""
        employers = self.employers
        available = self._available(today)
        wanted = _scheme_mask(schemes) & ~_ORDINARY
        rows = np.flatnonzero(self._in_area(employers, postcodes) & available.employers
                              & ((employers["schemes"] & wanted) != 0) & ~available.with_opening)
        if not len(rows):
            return []
        km = self._km_to(near, points)[employers["postcode"][rows]]
        return [employers.ids[at] for at in self._nearest_to(employers, rows, km, limit).tolist()]


    def citizen_candidates(self, jobcentre_code: int, near: tuple[float, float], schemes: Sequence[str], *,
                           points: Mapping[str, tuple[float, float]], vector: np.ndarray | None,
                           occupation_uris: Collection[str], every_up_to: int, dense_k: int,
                           taxonomy_k: int) -> Candidates:
        """As retrieval from SQL (`repository.citizen_ids_within_reach`, then `nearest_among` or
        `nearest_by_distance`, and `citizen_ids_by_occupation`): the active citizens of the jobcentre who share
        a scheme and live within their own max commute of `near` (`points`: postcode → its centre); every one
        of them (up to `every_up_to`), else the `dense_k` nearest by text (without a `vector`, by distance)
        and the first `taxonomy_k` by id who worked in, wish for or were inferred to one of the occupations."""
        table = self.citizens
        if not len(table):
            return Candidates(ids=[], eligible=0)
        km = self._km_to(near, points)
        within = np.flatnonzero((table["jobcentre"] == jobcentre_code) & table["active"]
                                & ((table["schemes"] & _scheme_mask(schemes)) != 0)
                                & (km[table["postcode"]] <= table["max_commute_km"]))
        if len(within) <= every_up_to:
            return self._found(table, within, len(within))
        codes = self._codes["occupation"]
        wanted = [codes[uri] for uri in occupation_uris if uri in codes]
        by_occupation = within[np.isin(table["occupations"][within], wanted).any(axis=1)] if wanted else within[:0]
        chosen = [by_occupation[np.argsort(table["key"][by_occupation], kind="stable")[:taxonomy_k]]]
        if vector is None:
            chosen.append(self._nearest_to(table, within, km[table["postcode"][within]], dense_k))
        elif len(vector) == self.dims:
            chosen.append(self._nearest(table, within, vector, dense_k))
        return self._found(table, np.unique(np.concatenate(chosen)), len(within))

    def encode_candidates(self, citizen_ids: Sequence[uuid.UUID], placement: Placement) -> EncodedProfiles:
        """The citizens (as of the last look) and one placement (as given) encoded as
        `vectorised.encode_profiles` encodes their profiles. The keys are the placement's own: a key only
        citizens hold cannot match."""
        table = self.citizens
        at = np.array([table.position[citizen_id] for citizen_id in citizen_ids], dtype=np.int64)
        own: dict[str, int] = {"": NEVER}
        columns = vectorised.encode_placements([placement], own)
        # The index's key ids of the placement's keys, sorted, and the placement's id for each.
        known = [(self._vocabulary[text], local) for text, local in own.items()
                 if local != NEVER and text in self._vocabulary]
        index_ids = np.array(sorted(known), dtype=np.int64).reshape(-1, 2)
        held = table["citizen_keys"][at]
        found = np.minimum(np.searchsorted(index_ids[:, 0], held), max(len(index_ids) - 1, 0))
        matches = (held != NEVER) & (index_ids[found, 0] == held) if len(index_ids) else np.zeros_like(held, bool)
        owner, slot = np.nonzero(matches)
        citizen: dict[str, Any] = {name: table[name][at] for name in table.columns.keys() & _HELD_COLUMNS}
        citizen.update(citizen_key_owner=owner, citizen_key_ids=index_ids[found[owner, slot], 1],
                       citizen_has_vector=table["norm"][at] > 0,
                       citizen_vectors=table["vector"][at] if self.dims is not None else None)
        return EncodedProfiles(key_count=len(own), **citizen, **columns)


class MatchingIndexes:
    """One index per (encoder, dimension) for a service process; built on first use."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, int | None], MatchingIndex] = {}

    def get(self, encoder_id: str, dims: int | None) -> MatchingIndex:
        key = (encoder_id, dims)
        if key not in self._indexes:
            self._indexes[key] = MatchingIndex(encoder_id, dims)
        return self._indexes[key]
