"""The in-process index (`matching.index`) selects the openings and citizens the SQL retrieval selects, and
keeps up with writes: new, changed, paused and re-encoded placements and citizens, deletes, erasure, and
writers that commit after it looked."""

import asyncio
import datetime as dt
import random
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pytest

from core.cache import Cache
from core.geography import great_circle_km
from core.importing import ImportKind, import_file
from core.vocab import Role, Scheme
from demo.generator import DEFAULT_REFERENCE_DATE, generate
from matching import repository, service
from matching.index import MatchingIndex
from scoring.service import active_scorer
from taxonomy import snapshot as taxonomy_snapshot
from tests.matching.conftest import FORKLIFT, WAREHOUSE_WORKER, World, warehouse_opening, warehouse_worker
from users.schemas import OPERATOR, Principal

ENCODER = "test:index"
DIMS = 8
HASH = "0" * 32


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("index-demo")
    generate(out, jobcentres=(101,), citizens=30, employers=120, seed=4, history_weeks=0)
    return out


@pytest.fixture(scope="module")
def history_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo world with weeks of decisions and placements: track records, and slots taken."""
    out = tmp_path_factory.mktemp("index-history")
    generate(out, jobcentres=(101,), citizens=40, employers=120, seed=5, history_weeks=10)
    return out


async def _encode_openings(conn: asyncpg.Connection, seed: int) -> None:
    """Random unit vectors for most openings; some share one vector (ties), some have none."""
    rng = np.random.default_rng(seed)
    ids = [row["id"] for row in await conn.fetch("SELECT id FROM openings ORDER BY id")]
    shared = rng.normal(size=DIMS)
    rows = [(entity_id, HASH, shared if index % 7 == 0 else rng.normal(size=DIMS))
            for index, entity_id in enumerate(ids) if index % 11]
    await conn.executemany(
        """INSERT INTO text_vectors (entity_kind, entity_id, encoder_id, content_hash, embedding)
           VALUES ('opening', $1, $3, $2, $4::vector)""",
        [(entity_id, digest, ENCODER, vector.astype(np.float32)) for entity_id, digest, vector in rows])


async def _postcodes_within(conn: asyncpg.Connection, latitude: float, longitude: float, km: float) -> list[str]:
    return sorted(row["postcode"] for row in await repository.postcode_points(conn)
                  if great_circle_km(latitude, longitude, row["latitude"], row["longitude"]) <= km)


async def test_index_selects_what_the_sql_statement_selects(pool: asyncpg.Pool, demo_dir: Path) -> None:
    for kind in (ImportKind.EMPLOYERS, ImportKind.OPENINGS, ImportKind.CITIZENS):
        report = await import_file(pool, kind, demo_dir / f"{kind.value}.jsonl", OPERATOR)
        assert not report.rejected
    rng = random.Random(2)
    today = DEFAULT_REFERENCE_DATE
    async with pool.acquire() as conn:
        await _encode_openings(conn, seed=1)
        index = MatchingIndex(ENCODER, DIMS)
        await index.refresh(conn)
        taxonomy = await taxonomy_snapshot.current(conn)
        openings = await conn.fetch(
            "SELECT coalesce(occupation_uri, inferred_occupations->0->>'uri') AS uri, essential_skill_uris "
            "FROM openings")
        occupations = sorted({row["uri"] for row in openings if row["uri"]})
        skills = sorted({uri for row in openings for uri in row["essential_skill_uris"]})
        citizens = await conn.fetch(
            """SELECT c.schemes, c.max_commute_km, p.latitude, p.longitude FROM citizens c
               JOIN postcodes p ON p.postcode = c.postcode ORDER BY c.id""")
        points = {row["postcode"]: (row["latitude"], row["longitude"])
                  for row in await repository.postcode_points(conn)}
        compared = {"every": 0, "dense": 0, "taxonomy": 0, "nearby": 0, "employers": 0}
        for citizen in citizens:
            postcodes = await _postcodes_within(conn, citizen["latitude"], citizen["longitude"],
                                                2 * citizen["max_commute_km"])
            schemes = sorted(citizen["schemes"])
            near = (citizen["latitude"], citizen["longitude"])
            chosen = rng.sample(occupations, 3)
            random_vector = np.asarray(np.random.default_rng(rng.randrange(1000)).normal(size=DIMS), np.float32)
            wanted, groups, held = chosen[:2], [taxonomy.occupation_isco[chosen[2]][:3]], rng.sample(skills, 4)
            # (every_up_to, exact_up_to, k, with a text vector): everything, the nearest by text and the
            # taxonomy, the taxonomy alone (HNSW left to the caller), the nearest by distance for no vector.
            for every, exact, k, encoded in ((600, 25000, 200, True), (0, 25000, 6, True), (0, 0, 6, True),
                                             (0, 25000, 6, False)):
                vector = random_vector if encoded else None
                by_sql = await repository.opening_candidates(
                    conn, postcodes, today, schemes, encoder_id=ENCODER, vector=vector, near=near,
                    occupation_uris=wanted, isco_groups=groups, skill_uris=held, every_up_to=every,
                    exact_up_to=exact, dense_k=k, taxonomy_k=k)
                by_index = index.opening_candidates(
                    postcodes, today, schemes, vector=vector, near=near, points=points, occupation_uris=wanted,
                    isco_groups=groups, skill_uris=held, occupation_isco=taxonomy.occupation_isco, every_up_to=every,
                    exact_up_to=exact, dense_k=k, taxonomy_k=k)
                assert by_index == by_sql, (every, exact, k, encoded)
                path = "every" if every else "nearby" if not encoded else "dense" if exact else "taxonomy"
                compared[path] += bool(by_sql.ids)
            employers_sql = await repository.employer_ids_without_openings(conn, postcodes, today, schemes,
                                                                           near=near, limit=5)
            assert index.employers_without_openings(postcodes, today, schemes, near=near, points=points,
                                                    limit=5) == employers_sql
            compared["employers"] += bool(employers_sql)
    assert min(compared.values()) >= 10, compared  # every path was exercised with something found


async def test_index_selects_the_citizens_the_sql_statements_select(pool: asyncpg.Pool, demo_dir: Path) -> None:
    """Candidates for an opening: citizens within reach, and among them the nearest by text and those with
    an occupation of the opening's group, as the SQL retrieval finds them."""
    for kind in (ImportKind.EMPLOYERS, ImportKind.OPENINGS, ImportKind.CITIZENS):
        report = await import_file(pool, kind, demo_dir / f"{kind.value}.jsonl", OPERATOR)
        assert not report.rejected
    rng = random.Random(3)
    async with pool.acquire() as conn:
        await _encode_everything(conn, seed=2)
        # A second jobcentre's citizens, copied, never appear.
        await conn.execute(
            """INSERT INTO citizens (jobcentre_code, reference, postcode, target_group, skills, experience, wishes,
                                     max_commute_km, hours_min, hours_max, limitations, limitations_consent,
                                     needs, schemes, inferred_occupations, inferred_skills)
               SELECT 147, reference, postcode, target_group, skills, experience, wishes, max_commute_km,
                      hours_min, hours_max, limitations, limitations_consent, needs, schemes, inferred_occupations,
                      inferred_skills
               FROM citizens""")
        index = MatchingIndex(ENCODER, DIMS)
        await index.refresh(conn)
        points = {row["postcode"]: (row["latitude"], row["longitude"])
                  for row in await repository.postcode_points(conn)}
        uris = sorted({row["uri"] for row in await conn.fetch(
            """SELECT coalesce(item->>'occupation_uri', item->>'uri') AS uri
               FROM citizens, jsonb_array_elements(experience || inferred_occupations) AS item""") if row["uri"]})
        openings = await conn.fetch("SELECT id, schemes, postcode FROM openings ORDER BY id")
        compared = {"within": 0, "nearest": 0, "nearby": 0, "occupation": 0}
        for opening in openings:
            near = points[opening["postcode"]]
            schemes = sorted(opening["schemes"])
            within = await repository.citizen_ids_within_reach(conn, 101, near[0], near[1], schemes)
            found = index.citizen_candidates(101, near, schemes, points=points, vector=None, occupation_uris=[],
                                             every_up_to=10_000, dense_k=5, taxonomy_k=5)
            assert found == repository.Candidates(ids=within, eligible=len(within))
            vector = np.asarray(np.random.default_rng(rng.randrange(1000)).normal(size=DIMS), np.float32)
            related = rng.sample(uris, 6)
            nearest = await repository.nearest_among(conn, "citizen", ENCODER, vector, within, 3)
            by_occupation = await repository.citizen_ids_by_occupation(conn, within, related, 4)
            found = index.citizen_candidates(101, near, schemes, points=points, vector=vector,
                                             occupation_uris=related, every_up_to=0, dense_k=3, taxonomy_k=4)
            assert found.ids == sorted(set(nearest) | set(by_occupation), key=str)
            # An opening whose text is not encoded: the nearest citizens by distance stand in.
            nearby = await repository.nearest_by_distance(conn, within, near[0], near[1], 3)
            found = index.citizen_candidates(101, near, schemes, points=points, vector=None,
                                             occupation_uris=related, every_up_to=0, dense_k=3, taxonomy_k=4)
            assert found.ids == sorted(set(nearby) | set(by_occupation), key=str)
            compared["within"] += bool(within)
            compared["nearest"] += bool(nearest)
            compared["nearby"] += bool(nearby)
            compared["occupation"] += bool(by_occupation)
    assert min(compared.values()) >= 10, compared


async def _encode_everything(conn: asyncpg.Connection, seed: int) -> None:
    """Random vectors for most openings, employers and citizens (some have none)."""
    rng = np.random.default_rng(seed)
    rows = []
    for kind, table in (("opening", "openings"), ("employer", "employers"), ("citizen", "citizens")):
        ids = [row["id"] for row in await conn.fetch(f"SELECT id FROM {table} ORDER BY id")]
        rows += [(kind, entity_id, ENCODER, HASH, (vector / np.linalg.norm(vector)).astype(np.float32))
                 for number, entity_id in enumerate(ids) if number % 9
                 for vector in [rng.normal(size=DIMS)]]
    await conn.executemany(
        """INSERT INTO text_vectors (entity_kind, entity_id, encoder_id, content_hash, embedding)
           VALUES ($1, $2, $3, $4, $5::vector)""", rows)


async def test_rankings_through_the_index_equal_rankings_from_rows(pool: asyncpg.Pool, history_dir: Path) -> None:
    """The service scores the index's encoded placements with this request's counts and reads only the
    chosen ones in full; without an index every candidate is read in full. Both give the same suggestions,
    scores, texts and features, for every demo citizen and several queries, and after decisions."""
    for kind in ImportKind:
        report = await import_file(pool, kind, history_dir / f"{kind.value}.jsonl", OPERATOR)
        assert not report.rejected
    consultant = Principal(user_id=uuid.UUID(int=1), role=Role.CONSULTANT, name="test", jobcentre_code=101)
    queries = [service.MatchQuery(), service.MatchQuery(limit=3, lang="en"), service.MatchQuery(max_km=8),
               service.MatchQuery(scheme=Scheme.INTERNSHIP)]
    async with pool.acquire() as conn:
        await _encode_everything(conn, seed=3)
        # Past placements (track records) and current ones (slots taken), at openings and employers.
        await conn.execute(
            """INSERT INTO placements (citizen_id, jobcentre_code, employer_id, opening_id, scheme, start_date,
                                       end_date, outcome)
               SELECT c.id, c.jobcentre_code, o.employer_id, CASE WHEN n % 3 = 0 THEN NULL ELSE o.id END,
                      'internship', $1::date - 60, CASE WHEN n % 4 = 0 THEN NULL ELSE $1::date - 10 END,
                      CASE WHEN n % 4 = 0 THEN NULL WHEN n % 4 = 1 THEN 'completed' ELSE 'dropped_out' END
               FROM (SELECT id, employer_id, row_number() OVER (ORDER BY id) AS n FROM openings) o
               JOIN LATERAL (SELECT id, jobcentre_code FROM citizens ORDER BY id OFFSET o.n % 40 LIMIT 1) c ON true
               WHERE o.n % 2 = 0""", DEFAULT_REFERENCE_DATE)
        scorer = await active_scorer(conn)
        engines = [service.Engine(encoder_id=ENCODER, dims=DIMS, scorer=scorer, cache=Cache(None, ""),
                                  today=DEFAULT_REFERENCE_DATE, index=index)
                   for index in (MatchingIndex(ENCODER, DIMS), None)]
        citizens = await conn.fetch("SELECT id, schemes FROM citizens WHERE active ORDER BY id")
        compared = compared_candidates = 0
        for decisions in (False, True):
            if decisions:  # the consultant declined or took up some: those are never shown again
                await conn.execute("""UPDATE suggestions SET state = 'declined', reason_code = 'other',
                                             decided_at = now() WHERE hashtext(id::text) % 7 = 0""")
                await conn.execute("""UPDATE suggestions SET state = 'contacted'
                                      WHERE state = 'proposed' AND hashtext(id::text) % 5 = 0""")
            for citizen in citizens:
                for query in queries:
                    if query.scheme is not None and query.scheme.value not in citizen["schemes"]:
                        continue
                    results, stored = [], []
                    for engine in engines:  # both store the same suggestions: compare what each stored
                        result = await service.suggestions_for_citizen(conn, consultant, citizen["id"], query, engine)
                        results.append(result.model_dump(exclude={"generated_at"}))
                        stored.append(await conn.fetch(
                            "SELECT id, features, input_hash FROM suggestions WHERE id = ANY($1) ORDER BY id",
                            [item.suggestion_id for item in result.items]))
                    assert results[0] == results[1]
                    assert stored[0] == stored[1]
                    compared += bool(results[1]["items"])
            compared_candidates += await _compare_candidates(conn, consultant, engines)
    assert compared >= 100
    assert compared_candidates >= 100


async def _compare_candidates(conn: asyncpg.Connection, consultant: Principal, engines: list[service.Engine]) -> int:
    """Candidates for every opening through each engine, each in a transaction rolled back after (stored
    suggestions count as load for the next ranking): the same items, scores, texts and stored features."""
    queries = [service.MatchQuery(), service.MatchQuery(limit=3, lang="en"),
               service.MatchQuery(scheme=Scheme.INTERNSHIP)]
    compared = 0
    for opening in await conn.fetch("SELECT id, schemes FROM openings ORDER BY id"):
        for query in queries:
            if query.scheme is not None and query.scheme.value not in opening["schemes"]:
                continue
            results, stored = [], []
            for engine in engines:
                transaction = conn.transaction()
                await transaction.start()
                try:
                    result = await service.candidates_for_opening(conn, consultant, opening["id"], query, engine)
                    results.append(result.model_dump(exclude={"generated_at"}))
                    stored.append(await conn.fetch(
                        """SELECT citizen_id, opening_id, features, input_hash FROM suggestions WHERE id = ANY($1)
                           ORDER BY citizen_id""", [item.suggestion_id for item in result.items]))
                finally:
                    await transaction.rollback()
            for dumped in results:
                for item in dumped["items"]:
                    del item["suggestion_id"]  # a new one in each transaction
            assert results[0] == results[1]
            assert stored[0] == stored[1]
            compared += bool(results[1]["items"])
    return compared


async def _candidates(conn: asyncpg.Connection, index: MatchingIndex, today: dt.date) -> list[str]:
    await index.refresh(conn)
    found = index.opening_candidates(["2650"], today, ["internship", "ordinary"], vector=np.ones(DIMS, np.float32),
                                     near=(55.64, 12.47), points={}, occupation_uris=[WAREHOUSE_WORKER],
                                     isco_groups=[], skill_uris=[FORKLIFT], occupation_isco={}, every_up_to=0,
                                     exact_up_to=100, dense_k=1, taxonomy_k=10)
    return [str(item) for item in found.ids]


async def test_index_follows_writes(world: World, pool: asyncpg.Pool) -> None:
    today = dt.datetime.now(dt.UTC).date()
    employer = await world.employer(postcode="2650")
    first = await world.opening(employer, **warehouse_opening())
    index = MatchingIndex(ENCODER, DIMS)
    async with pool.acquire() as conn:
        assert await _candidates(conn, index, today) == [first["id"]]

        second = await world.opening(employer, **warehouse_opening(title="Lagerarbejder"))
        assert sorted(await _candidates(conn, index, today)) == sorted([first["id"], second["id"]])

        await conn.execute("UPDATE openings SET status = 'closed' WHERE id = $1", second["id"])
        assert await _candidates(conn, index, today) == [first["id"]]

        # A vector makes an opening the nearest by text; deleting it makes the index rebuild.
        other = await world.opening(employer, **warehouse_opening(occupation_uri=None, skills=[], title="Kok"))
        assert other["id"] not in await _candidates(conn, index, today)
        await conn.execute(
            """INSERT INTO text_vectors (entity_kind, entity_id, encoder_id, content_hash, embedding)
               VALUES ('opening', $1, $2, $4, $3::vector)""", other["id"], ENCODER, np.ones(DIMS, np.float32), HASH)
        assert other["id"] in await _candidates(conn, index, today)
        await conn.execute("DELETE FROM text_vectors WHERE entity_id = $1", other["id"])
        assert other["id"] not in await _candidates(conn, index, today)

        await conn.execute("UPDATE employers SET status = 'paused', paused_until = NULL WHERE id = $1", employer["id"])
        assert await _candidates(conn, index, today) == []


async def test_index_follows_citizen_writes(world: World, pool: asyncpg.Pool) -> None:
    """Candidates for an opening come from the index's citizens: changes, new vectors, deleted vectors and
    erasure show at the next look."""
    first = await world.citizen(**warehouse_worker())
    second = await world.citizen(**warehouse_worker())
    first_id, second_id = uuid.UUID(first["id"]), uuid.UUID(second["id"])
    index = MatchingIndex(ENCODER, DIMS)
    async with pool.acquire() as conn:
        points = {row["postcode"]: (row["latitude"], row["longitude"])
                  for row in await repository.postcode_points(conn)}

        async def found(*, nearest: bool = False) -> set[uuid.UUID]:
            await index.refresh(conn)
            candidates = index.citizen_candidates(101, points["2650"], ["internship"], points=points,
                                                  vector=np.ones(DIMS, np.float32) if nearest else None,
                                                  occupation_uris=[], every_up_to=0 if nearest else 100,
                                                  dense_k=1, taxonomy_k=0)
            return set(candidates.ids)

        async def encode(citizen_id: uuid.UUID) -> None:
            await conn.execute(
                """INSERT INTO text_vectors (entity_kind, entity_id, encoder_id, content_hash, embedding)
                   VALUES ('citizen', $1, $2, $4, $3::vector)""", citizen_id, ENCODER, np.ones(DIMS, np.float32), HASH)

        assert await found() == {first_id, second_id}
        await conn.execute("UPDATE citizens SET active = false WHERE id = $1", second_id)
        assert await found() == {first_id}
        await conn.execute("UPDATE citizens SET postcode = '9990' WHERE id = $1", first_id)  # Skagen: too far
        assert await found() == set()
        await conn.execute("UPDATE citizens SET active = true WHERE id = $1", second_id)
        assert await found() == {second_id}

        assert await found(nearest=True) == set()  # no vectors yet
        await encode(second_id)
        assert await found(nearest=True) == {second_id}
        await conn.execute("DELETE FROM text_vectors WHERE entity_id = $1", second_id)
        assert await found(nearest=True) == set()
        await encode(second_id)
        assert await found(nearest=True) == {second_id}

        await conn.execute("DELETE FROM citizens WHERE id = $1", second_id)  # erasure
        assert await found() == set()
        assert await found(nearest=True) == set()


async def test_a_writer_that_commits_after_the_index_looked_is_seen_next_time(world: World,
                                                                              pool: asyncpg.Pool) -> None:
    today = dt.datetime.now(dt.UTC).date()
    employer = await world.employer(postcode="2650")
    opening = await world.opening(employer, **warehouse_opening())
    index = MatchingIndex(ENCODER, DIMS)
    async with pool.acquire() as writer, pool.acquire() as reader:
        assert await _candidates(reader, index, today) == [opening["id"]]
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute("UPDATE openings SET status = 'paused' WHERE id = $1", opening["id"])
        assert await _candidates(reader, index, today) == [opening["id"]]  # not committed yet
        await transaction.commit()
        assert await _candidates(reader, index, today) == []


async def test_rankings_through_the_index_use_current_counts_and_facts(world: World, client: Any,
                                                                      pool: asyncpg.Pool) -> None:
    """Through the service (which ranks with its index): other citizens' new suggestions count as load
    at once, and a changed employer offer shows in the next ranking."""
    employer = await world.employer(postcode="2650", offers={"mentor": False, "physical_demands": "medium"})
    opening = await world.opening(employer, **warehouse_opening(slots=1))
    first = await world.citizen(**warehouse_worker())
    second = await world.citizen(**warehouse_worker(needs=["mentor"]))

    async def stored_load(citizen: dict[str, Any]) -> float:
        ranked = await world.ranked(citizen)
        assert [item["opening"]["id"] for item in ranked["items"] if item["opening"]] == [opening["id"]]
        async with pool.acquire() as conn:
            features = await conn.fetchval("SELECT features FROM suggestions WHERE citizen_id = $1 AND opening_id = $2",
                                           uuid.UUID(citizen["id"]), uuid.UUID(opening["id"]))
        return float(features["employer_load"])

    assert await stored_load(first) == 0.0
    assert await stored_load(second) == 0.2  # the first citizen's open suggestion, per free slot, over 5

    async def warnings() -> list[str]:
        items = (await world.ranked(second))["items"]
        return [warning["code"] for warning in items[0]["warnings"]]

    async def needs_met() -> float:
        async with pool.acquire() as conn:
            features = await conn.fetchval("SELECT features FROM suggestions WHERE citizen_id = $1 AND opening_id = $2",
                                           uuid.UUID(second["id"]), uuid.UUID(opening["id"]))
        return float(features["needs_met_share"])

    assert "needs_unmet" in await warnings()
    assert await needs_met() == 0.0
    response = await client.patch(f"/v1/employers/{employer['id']}", headers=world.consultant.headers,
                                  json={"offers": {"mentor": True, "physical_demands": "medium"}})
    assert response.status_code == 200, response.text
    assert "needs_unmet" not in await warnings()
    assert await needs_met() == 1.0  # the opening's encoding carries its employer's offers: re-encoded


async def test_requests_side_by_side_on_a_fresh_process_find_the_same_postcodes(pool: asyncpg.Pool) -> None:
    """The postcode table is built by the first requests of a process; several at once must not mix."""
    service._postcode_arrays.clear()
    service._postcodes.clear()

    async with pool.acquire() as first, pool.acquire() as second:
        found = await asyncio.gather(*(service._postcodes_within(conn, 55.6761, 12.5683, 15.0)
                                       for conn in (first, second)))
        expected = await _postcodes_within(first, 55.6761, 12.5683, 15.0)
    assert expected
    assert all(postcodes == expected for postcodes in found)
