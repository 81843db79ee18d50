"""An in-process index of openings and employers for retrieval: what the coarse filter, the nearest by
text and the taxonomy step read about every opening (and every employer), held in NumPy columns by each
service process, so that finding a citizen's candidates costs a few milliseconds of array work instead of
a PostgreSQL statement that reads every eligible opening's vector (~4 µs a row, ~45 ms a suggestion).

The index only chooses which placements are considered. Their rules, features and texts are always read
fresh from the database (`repository.opening_rows` / `employer_rows`) and every hard rule is applied to
those, so a paused, full or expired opening can never be suggested from an index that is behind.

It catches up before every use by reading the rows changed since it last looked: each write stamps the
rows it touches with its scope's new generation, in commit order (migration 0010). Deletes of openings,
employers or their vectors, which leave nothing to read, make it rebuild. Selection is the same as the
SQL statement `repository.opening_candidates` (`tests/matching/test_index.py` compares them); the text
vectors are unit-normalised float32, ~1.5 KB an opening (~150 MB at 100,000 openings).
"""

import asyncio
import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import asyncpg
import numpy as np

from core.vocab import Scheme
from matching.repository import OpeningCandidates
from matching.vectorised import SCHEME_CODE, great_circle_km

_SCOPES = ["placements", "vectors", "removals"]
_NO_DATE = dt.date.max.toordinal()
_ORDINARY = 1 << SCHEME_CODE[Scheme.ORDINARY]

_OPENINGS = """
    SELECT o.id, o.employer_id, o.postcode, o.status = 'open' AS open, o.expires_on, o.schemes,
           coalesce(o.occupation_uri, o.inferred_occupations->0->>'uri') AS occupation_uri,
           o.essential_skill_uris, v.embedding
    FROM openings o
    LEFT JOIN text_vectors v ON v.entity_kind = 'opening' AND v.entity_id = o.id AND v.encoder_id = $1"""
_EMPLOYERS = """
    SELECT e.id, e.postcode, e.schemes, e.status = 'paused' AS paused, e.paused_until, v.embedding
    FROM employers e
    LEFT JOIN text_vectors v ON v.entity_kind = 'employer' AND v.entity_id = e.id AND v.encoder_id = $1"""


def _changed(alias: str, table: str, kind: str) -> str:
    """Only rows stamped after generation $2, or whose vector (encoder $1) was stamped after $3."""
    return f"""
    WHERE {alias}.id IN (SELECT id FROM {table} WHERE generation > $2
                         UNION SELECT entity_id FROM text_vectors
                               WHERE generation > $3 AND entity_kind = '{kind}' AND encoder_id = $1)"""


_CHANGED_OPENINGS = _OPENINGS + _changed("o", "openings", "opening")
_CHANGED_EMPLOYERS = _EMPLOYERS + _changed("e", "employers", "employer")
_FLOAT32_SLACK = 1e-5  # float32 cosine error bound (~1e-6 at 384 dimensions) with room to spare



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


def _scheme_mask(values: Collection[str]) -> int:
    return sum(1 << SCHEME_CODE[Scheme(value)] for value in values)


def _ordinal(day: dt.date | None) -> int:
    return _NO_DATE if day is None else day.toordinal()


class OpeningIndex:
    """The retrieval facts of every opening and employer, with the openings' text vectors of one encoder."""

    def __init__(self, encoder_id: str, dims: int | None) -> None:
        self.encoder_id = encoder_id
        self.dims = dims
        self._lock = asyncio.Lock()
        self._seen: dict[str, int] | None = None
        self._reset()

    def _reset(self) -> None:
        self._codes: dict[str, dict[str, int]] = {"postcode": {}, "occupation": {}, "skill": {}}
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

    async def refresh(self, conn: asyncpg.Connection) -> None:
        """Read what changed since the last look (everything the first time, or after a delete)."""
        async with self._lock:
            rows = await conn.fetch("SELECT scope, generation FROM cache_generations WHERE scope = ANY($1)", _SCOPES)
            generations = {row["scope"]: row["generation"] for row in rows}
            if generations == self._seen:
                return
            if self._seen is None or generations["removals"] != self._seen["removals"]:
                self._reset()
                self._seen = None
            since = self._seen or {"placements": -1, "vectors": -1}
            if self._seen is None:
                employers = await conn.fetch(_EMPLOYERS, self.encoder_id)
                openings = await conn.fetch(_OPENINGS, self.encoder_id)
            else:
                changed = (self.encoder_id, since["placements"], since["vectors"])
                employers = await conn.fetch(_CHANGED_EMPLOYERS, *changed)
                openings = await conn.fetch(_CHANGED_OPENINGS, *changed)
            self._apply_employers(employers)
            self._apply_openings(openings)
            self._seen = generations

    def _apply_employers(self, rows: Sequence[asyncpg.Record]) -> None:
        table = self.employers
        for row in rows:
            at = table.row(row["id"])
            table.columns["postcode"][at] = self._code("postcode", row["postcode"])
            table.columns["schemes"][at] = _scheme_mask(row["schemes"])
            table.columns["paused"][at] = row["paused"]
            table.columns["paused_until"][at] = _ordinal(row["paused_until"])
            self._put_vector(table, at, row["embedding"])

    def _apply_openings(self, rows: Sequence[asyncpg.Record]) -> None:
        table = self.openings
        for row in rows:
            at = table.row(row["id"])
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

    # -----------------------------------------------------------------------------------------------
    # Queries

    def _in_area(self, table: _Table, postcodes: Sequence[str]) -> np.ndarray:
        reach = np.zeros(len(self._codes["postcode"]) + 1, dtype=bool)
        reach[[self._codes["postcode"][code] for code in postcodes if code in self._codes["postcode"]]] = True
        area: np.ndarray = reach[table["postcode"]]
        return area

    def _paused_employers(self, today: dt.date) -> np.ndarray:
        paused: np.ndarray = self.employers["paused"] & (self.employers["paused_until"] > today.toordinal())
        return paused

    def opening_candidates(self, postcodes: Sequence[str], today: dt.date, schemes: Sequence[str], *,
                           vector: np.ndarray | None, occupation_uris: Collection[str],
                           isco_groups: Collection[str], skill_uris: Collection[str],
                           occupation_isco: Mapping[str, str], every_up_to: int, exact_up_to: int,
                           dense_k: int, taxonomy_k: int) -> OpeningCandidates:
        """As `repository.opening_candidates`: the coarse filter (open, unexpired, employer not paused,
        shared scheme, in the postcodes), then every eligible opening (up to `every_up_to` of them) or the
        `dense_k` nearest by cosine distance (up to `exact_up_to`; beyond, none: the caller asks HNSW) and
        the `taxonomy_k` best taxonomy matches (`occupation_isco`: the snapshot's occupation → ISCO group)."""
        table = self.openings
        eligible = np.flatnonzero(
            table["open"] & (table["expires"] >= today.toordinal()) & ~self._paused_employers(today)[table["employer"]]
            & ((table["schemes"] & _scheme_mask(schemes)) != 0) & self._in_area(table, postcodes))
        if len(eligible) <= every_up_to:
            return self._found(eligible, len(eligible))
        chosen = [self._taxonomy(eligible, occupation_uris, isco_groups, skill_uris, occupation_isco, taxonomy_k)]
        if vector is not None and len(vector) == self.dims and len(eligible) <= exact_up_to:
            chosen.append(self._nearest(eligible, vector, dense_k))
        return self._found(np.unique(np.concatenate(chosen)), len(eligible))

    def _found(self, positions: np.ndarray, eligible: int) -> OpeningCandidates:
        ordered = positions[np.argsort(self.openings["key"][positions], kind="stable")]
        return OpeningCandidates(ids=[self.openings.ids[at] for at in ordered], eligible=eligible)

    def _nearest(self, eligible: np.ndarray, vector: np.ndarray, k: int) -> np.ndarray:
        """The k nearest by cosine distance, ties by id; openings without a vector are never among them."""
        norms = self.openings["norm"][eligible]
        rows, norms = eligible[norms > 0], norms[norms > 0]
        query = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        if norm == 0 or not len(rows):
            return rows[:0]
        # float32 products choose the few near the cut; float64, rounded, orders those, so that equal
        # vectors tie exactly (float32 BLAS rounds by row position) and ties break by id as in SQL.
        similarity = (self.openings["vector"][rows] @ (query / norm)) / norms
        if len(rows) > k:
            cut = np.partition(similarity, len(rows) - k)[len(rows) - k]
            near_cut = similarity >= cut - _FLOAT32_SLACK
            rows, norms = rows[near_cut], norms[near_cut]
        similarity = np.round((self.openings["vector"][rows].astype(np.float64) @ (query.astype(np.float64) / norm))
                              / norms, 9)
        order = np.lexsort((self.openings["key"][rows], -similarity))
        nearest: np.ndarray = rows[order[:k]]
        return nearest

    def _taxonomy(self, eligible: np.ndarray, occupation_uris: Collection[str], isco_groups: Collection[str],
                  skill_uris: Collection[str], occupation_isco: Mapping[str, str], k: int) -> np.ndarray:
        """Openings for the occupations, related ISCO groups (3 digits) or essential skills; exact
        occupations first, then group matches, then by id."""
        codes = self._codes
        occupation = self.openings["occupation"][eligible]
        exact = np.isin(occupation, [codes["occupation"][uri] for uri in occupation_uris if uri in codes["occupation"]])
        wanted_groups = set(isco_groups)
        related = [code for uri, code in codes["occupation"].items()
                   if uri in occupation_isco and occupation_isco[uri][:3] in wanted_groups]
        group = np.isin(occupation, related)
        held = [codes["skill"][uri] for uri in skill_uris if uri in codes["skill"]]
        skill = np.isin(self.openings["skills"][eligible], held).any(axis=1) if held else np.zeros(len(eligible), bool)
        match = exact | group | skill
        rows, exact, group = eligible[match], exact[match], group[match]
        order = np.lexsort((self.openings["key"][rows], ~group, ~exact))
        found: np.ndarray = rows[order[:k]]
        return found

    def employers_without_openings(self, postcodes: Sequence[str], today: dt.date, schemes: Sequence[str], *,
                                   near: tuple[float, float], points: Mapping[str, tuple[float, float]],
                                   limit: int) -> list[uuid.UUID]:
        """As `repository.employer_ids_without_openings`: employers in the postcodes, not paused, open to a
        shared scheme other than an ordinary job, with no open unexpired opening; the `limit` nearest to
        `near` (`points`: postcode → its centre), ties by id."""
        openings, employers = self.openings, self.employers
        open_now = openings["open"] & (openings["expires"] >= today.toordinal())
        has_opening = np.bincount(openings["employer"][open_now], minlength=len(employers)) > 0
        wanted = _scheme_mask(schemes) & ~_ORDINARY
        rows = np.flatnonzero(self._in_area(employers, postcodes) & ~self._paused_employers(today)
                              & ((employers["schemes"] & wanted) != 0) & ~has_opening)
        if not len(rows):
            return []
        postcode_of = {code: postcode for postcode, code in self._codes["postcode"].items()}
        centres = np.array([points[postcode_of[code]] for code in employers["postcode"][rows]], dtype=np.float64)
        km = great_circle_km(centres[:, 0], centres[:, 1], np.full(len(rows), near[0]), np.full(len(rows), near[1]))
        order = np.lexsort((employers["key"][rows], km))
        return [employers.ids[at] for at in rows[order[:limit]]]


class OpeningIndexes:
    """One index per (encoder, dimension) for a service process; built on first use."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, int | None], OpeningIndex] = {}

    def get(self, encoder_id: str, dims: int | None) -> OpeningIndex:
        key = (encoder_id, dims)
        if key not in self._indexes:
            self._indexes[key] = OpeningIndex(encoder_id, dims)
        return self._indexes[key]
