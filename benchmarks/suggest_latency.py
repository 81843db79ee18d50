"""Matching latency: suggestions for a citizen and candidates for an opening against the running service.

Loads demo data (100,000 openings, 30,000 employers, 50,000 citizens at --scale 1) into an embedded
PostgreSQL + Redis kept in benchmarks/.cache/, writes deterministic synthetic text vectors, starts the
real service (`brobygger serve`) as a subprocess against those servers, and measures p50/p95/p99 latency
and throughput of both endpoints at several concurrencies, uncached and cached, plus the bare pgvector
top-k query as the floor. Run from the project root:

    .venv/bin/python benchmarks/suggest_latency.py --scale 0.05 --requests 40    # a quick try
    .venv/bin/python benchmarks/suggest_latency.py --profile 20 --docs           # full scale, into the docs

The first run at a scale generates and imports the data (full scale: ~10 minutes on 2 cores) and keeps
it; later runs reuse it, `--rebuild` starts over (do so when the data is more than two weeks old: its
dates are relative to the load day). The very first service start also builds the taxonomy normaliser's
label vectors (~5 minutes, kept in benchmarks/.cache/suggest-latency-service/). A full run takes ~20
minutes. `--profile N` also runs N uncached requests per endpoint in-process, times every SQL statement
and prints EXPLAIN ANALYZE of the slowest ones.

Why synthetic vectors: encoding ~180,000 texts with the default encoder takes hours on 2 cores.
Latency depends on how many vectors there are and on their dimension, not on what they mean, as long as
they cluster like real ones: each vector is a shared direction (text embeddings are anisotropic) plus a
topic direction (the ISCO minor group of the opening or citizen, the industry of the employer) plus
noise, normalised. They are stored under the configured encoder's id with content hashes that no real
text has, so a worker run would replace them with real vectors. `--encode-sample` measures the real
encoder's throughput separately.
"""

import argparse
import asyncio
import csv
import datetime as dt
import hashlib
import inspect
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import httpx
import numpy as np
import psutil
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# As `brobygger` does: the encoder's OpenMP threads otherwise spin while idle and slow everything else.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from api.runtime import infrastructure  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import create_pool  # noqa: E402
from core.importing import ImportKind, import_file  # noqa: E402
from core.vocab import Role  # noqa: E402
from demo.generator import generate  # noqa: E402
from embeddings.repository import ensure_vector_index  # noqa: E402
from embeddings.schemas import EntityKind  # noqa: E402
from taxonomy.encoders import encoder_id as configured_encoder_id  # noqa: E402
from users import service as users  # noqa: E402
from users.schemas import OPERATOR  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
SERVICE_DIR = CACHE / "suggest-latency-service"
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Matching latency"
BEGIN_MARK = "<!-- suggest_latency:begin (written by benchmarks/suggest_latency.py --docs) -->"
END_MARK = "<!-- suggest_latency:end -->"

FULL_CITIZENS = 50_000
FULL_EMPLOYERS = 30_000
FULL_OPENINGS = 100_000
DIMS = 384
FLOOR_K = 200
FLOOR_EF_SEARCH = 100
TARGET_P95_MS = 50.0
TARGET_FLOOR_RATIO = 5.0
TARGET_CONCURRENCY = 8
DATA_FORMAT = 2  # bump when the loaded data changes shape, so old caches are rebuilt
WARMUP_PER_CLIENT = 4  # warm-up requests per client, at the highest concurrency measured
# Demo dates (expiry, start, availability) are relative to the load day; after a few weeks most openings
# have expired and the data no longer looks like a live jobcentre's.
STALE_AFTER_DAYS = 14
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def default_jobcentres() -> list[int]:
    """Every fourth kommune code: 25 jobcentres spread over the country, København among them."""
    with open(ROOT / "core" / "data" / "kommuner.csv", encoding="utf-8", newline="") as handle:
        codes = sorted(int(row["code"]) for row in csv.DictReader(handle))
    return codes[::4]


# ---------------------------------------------------------------------------------------------------
# Loading the data


@dataclass
class LoadPlan:
    scale: float
    seed: int
    jobcentres: list[int]
    citizens: int
    employers: int
    openings_per_employer: float
    history_weeks: int
    reference_date: str

    @classmethod
    def for_scale(cls, scale: float, seed: int, jobcentres: list[int], history_weeks: int) -> "LoadPlan":
        employers = max(len(jobcentres), round(FULL_EMPLOYERS * scale))
        citizens = max(len(jobcentres), round(FULL_CITIZENS * scale))
        # The generator aims at this mean over all employers, those without openings included.
        openings_per_employer = round(FULL_OPENINGS * scale / employers, 4)
        return cls(scale=scale, seed=seed, jobcentres=jobcentres, citizens=citizens, employers=employers,
                   openings_per_employer=openings_per_employer, history_weeks=history_weeks,
                   reference_date=today().isoformat())


def today() -> dt.date:
    """The service's today (Copenhagen)."""
    return dt.datetime.now(COPENHAGEN).date()


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


async def load_data(pool: asyncpg.Pool, plan: LoadPlan, data_dir: Path, encoder: str) -> dict[str, Any]:
    """Generate the demo files, import them without code inference, write vectors and build indexes."""
    timings: dict[str, float] = {}
    demo_dir = data_dir / "demo"
    started = time.perf_counter()
    say(f"generating demo data: {plan.citizens} citizens, {plan.employers} employers, "
        f"~{plan.openings_per_employer * plan.employers:.0f} openings over {len(plan.jobcentres)} jobcentres")
    counts = await asyncio.to_thread(
        generate, demo_dir, jobcentres=plan.jobcentres, citizens=plan.citizens, employers=plan.employers,
        openings_per_employer=plan.openings_per_employer, seed=plan.seed, history_weeks=plan.history_weeks,
        reference_date=dt.date.fromisoformat(plan.reference_date))
    timings["generate_s"] = time.perf_counter() - started

    async def run_import(kind: ImportKind) -> None:
        path = demo_dir / f"{kind.value}.jsonl"
        size = path.stat().st_size
        if size == 0:
            return
        shown = [0.0]

        def progress(done: int) -> None:
            if done / size >= shown[0] + 0.1 or (done == size and shown[0] < 1):
                shown[0] = done / size
                say(f"  {kind.value}: {100 * done / size:.0f}%")

        began = time.perf_counter()
        report = await import_file(pool, kind, path, OPERATOR, on_progress=progress, normaliser=None)
        timings[f"import_{kind.value}_s"] = time.perf_counter() - began
        timings[f"import_{kind.value}_rows"] = report.written
        if report.rejected:
            first = "; ".join(f"line {item.line}: {item.reason}" for item in report.rejected[:3])
            raise RuntimeError(f"{len(report.rejected)} {kind.value} rows rejected: {first}")

    say("importing (no code inference)")
    await run_import(ImportKind.EMPLOYERS)
    # Openings need their employers; citizens are independent of both and overlap the openings import.
    await asyncio.gather(run_import(ImportKind.OPENINGS), run_import(ImportKind.CITIZENS))
    if plan.history_weeks:
        await run_import(ImportKind.DECISIONS)
        await run_import(ImportKind.PLACEMENTS)

    began = time.perf_counter()
    vectors = await write_synthetic_vectors(pool, encoder, plan.seed)
    timings["vectors_s"] = time.perf_counter() - began
    began = time.perf_counter()
    async with pool.acquire() as conn:
        # Session settings only: the graph of 100,000 vectors does not fit the 64 MB default, and a
        # build that spills is many times slower. The index itself is the one the service would build.
        await conn.execute("SET maintenance_work_mem = '1GB'")
        for kind in (EntityKind.OPENING, EntityKind.CITIZEN):
            say(f"building the HNSW index on {kind.value} vectors")
            await ensure_vector_index(conn, kind, DIMS)
        await conn.execute("RESET maintenance_work_mem")
        say("VACUUM ANALYZE")
        await conn.execute("VACUUM ANALYZE")
        totals = dict(await conn.fetchrow(
            """SELECT (SELECT count(*) FROM employers) AS employers, (SELECT count(*) FROM openings) AS openings,
                      (SELECT count(*) FROM openings WHERE status = 'open') AS open_openings,
                      (SELECT count(*) FROM citizens) AS citizens,
                      (SELECT count(*) FROM citizens WHERE active) AS active_citizens,
                      (SELECT count(*) FROM placements) AS placements"""))
    timings["index_s"] = time.perf_counter() - began
    timings["total_s"] = time.perf_counter() - started
    return {"format": DATA_FORMAT, "plan": asdict(plan), "generated": counts, "rows": totals,
            "vectors": vectors, "encoder_id": encoder, "timings": timings,
            "loaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


# Topic of each entity: the ISCO minor group (3 digits) of its occupation, or the employer's industry.
_TOPICS = {
    EntityKind.OPENING: """
        SELECT o.id, o.external_ref AS stable_ref, left(occ.isco_group, 3) AS topic
        FROM openings o LEFT JOIN occupations occ
          ON occ.uri = coalesce(o.occupation_uri, o.inferred_occupations->0->>'uri')
        ORDER BY o.external_ref""",
    EntityKind.CITIZEN: """
        SELECT c.id, c.jobcentre_code || ':' || c.reference AS stable_ref, left(occ.isco_group, 3) AS topic
        FROM citizens c LEFT JOIN occupations occ ON occ.uri = coalesce(
            c.experience->0->>'occupation_uri', c.wishes->'occupations'->0->>'uri')
        ORDER BY c.jobcentre_code, c.reference""",
    EntityKind.EMPLOYER: """
        SELECT e.id, e.external_ref AS stable_ref, left(e.industry, 2) AS topic
        FROM employers e ORDER BY e.external_ref""",
}


def _direction(name: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(DIMS)
    return vector / np.linalg.norm(vector)


def synthetic_vectors(topics: Sequence[str | None], rng: np.random.Generator) -> np.ndarray:
    """Unit vectors with e5-like geometry: cosine ~0.55 between unrelated texts, ~0.8 within a topic."""
    shared = _direction("shared")
    centres = {topic: _direction(f"topic:{topic}") for topic in set(topics)}
    topic_part = np.vstack([centres[topic] for topic in topics])
    noise = rng.standard_normal((len(topics), DIMS))
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = 1.0 * shared + 0.7 * topic_part + 0.6 * noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


async def write_synthetic_vectors(pool: asyncpg.Pool, encoder: str, seed: int) -> dict[str, int]:
    """Replace the encoder's vectors with synthetic ones for every citizen, opening and employer (COPY)."""
    written: dict[str, int] = {}
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM text_vectors WHERE encoder_id = $1", encoder)
        for kind, query in _TOPICS.items():
            rows = await conn.fetch(query)
            rng = np.random.default_rng([seed, list(EntityKind).index(kind)])
            vectors = synthetic_vectors([row["topic"] for row in rows], rng)
            records = [(kind.value, row["id"], encoder,
                        hashlib.md5(f"synthetic:{kind.value}:{row['stable_ref']}".encode()).hexdigest(), vector)
                       for row, vector in zip(rows, vectors, strict=True)]
            await conn.copy_records_to_table(
                "text_vectors", records=records,
                columns=["entity_kind", "entity_id", "encoder_id", "content_hash", "embedding"])
            written[kind.value] = len(records)
            say(f"  {len(records)} synthetic {kind.value} vectors")
    return written


# ---------------------------------------------------------------------------------------------------
# The service under test


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_service(resolved: Settings, port: int, log_path: Path, workers: int) -> Iterator[psutil.Process]:
    """`brobygger serve` in a subprocess against the already running embedded servers.

    With both URLs set the service keeps only the taxonomy normaliser's label vectors in its data dir:
    one dir for every scale, so they are computed once (minutes) rather than per data set."""
    assert resolved.database_url is not None and resolved.redis_url is not None
    environment = {**os.environ, "BROBYGGER_DATABASE_URL": resolved.database_url,
                   "BROBYGGER_REDIS_URL": resolved.redis_url, "BROBYGGER_DATA_DIR": str(SERVICE_DIR),
                   "BROBYGGER_LOG_LEVEL": "WARNING", "BROBYGGER_ENVIRONMENT": resolved.environment}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers)], cwd=ROOT, env=environment, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(base_url: str, service: psutil.Process, log_path: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.is_running() or service.status() == psutil.STATUS_ZOMBIE:
            raise RuntimeError(f"the service exited; see {log_path}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the service was not ready after {timeout:.0f} s; see {log_path}")


def wait_until_quiet(service: psutil.Process, *, busy_share: float = 0.05, timeout: float = 600) -> float:
    """Wait until the service's background start-up work (the taxonomy normaliser's label index, built in
    threads) is done: CPU below `busy_share` of a core over two seconds. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = _tree_cpu(service)
        time.sleep(2)
        if (_tree_cpu(service) - before) / 2 < busy_share:
            return time.monotonic() - started
    return time.monotonic() - started


def _tree_cpu(process: psutil.Process) -> float:
    """CPU seconds of a process and its children (the service's worker processes)."""
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += sum(member.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return total


def postgres_backends(pgdata: Path) -> list[psutil.Process]:
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    return [postmaster, *postmaster.children(recursive=True)]


class CpuMeter:
    """CPU seconds spent by the service's processes and by PostgreSQL (all backends) between two reads."""

    def __init__(self, service: psutil.Process, pgdata: Path) -> None:
        self.service = service
        self.pgdata = pgdata
        self._finished: dict[int, float] = {}

    def read(self) -> tuple[float, float]:
        service = _tree_cpu(self.service)
        database = 0.0
        for process in postgres_backends(self.pgdata):
            try:
                self._finished[process.pid] = sum(process.cpu_times()[:2])
            except psutil.NoSuchProcess:
                continue
        database = sum(self._finished.values())
        return service, database


# ---------------------------------------------------------------------------------------------------
# Load generation


@dataclass
class Phase:
    endpoint: str
    concurrency: int
    cached: bool
    requests: int
    errors: int
    statuses: dict[int, int]
    latencies_ms: list[float]
    wall_s: float
    considered: list[int]
    approximate: int
    cache_hits: int
    cache_misses: int
    service_cpu_s: float
    database_cpu_s: float
    load_average: float

    def percentile(self, share: float) -> float:
        return float(np.percentile(self.latencies_ms, share * 100)) if self.latencies_ms else float("nan")

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_s if self.wall_s else float("nan")

    @property
    def considered_text(self) -> str:
        if not self.considered:
            return ""
        share = 100 * self.approximate / len(self.considered)
        return f"{np.median(self.considered):.0f}, {max(self.considered)} ({share:.0f}%)"

    @property
    def hit_rate(self) -> float:
        total = self.cache_hits + self.cache_misses
        return self.cache_hits / total if total else float("nan")

    def summary(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "concurrency": self.concurrency, "cached": self.cached,
                "requests": self.requests, "errors": self.errors, "p50_ms": round(self.percentile(0.5), 1),
                "p95_ms": round(self.percentile(0.95), 1), "p99_ms": round(self.percentile(0.99), 1),
                "throughput_rps": round(self.throughput, 1), "cache_hit_rate": round(self.hit_rate, 3),
                "service_cpu_ms_per_request": round(1000 * self.service_cpu_s / self.requests, 1),
                "database_cpu_ms_per_request": round(1000 * self.database_cpu_s / self.requests, 1),
                "load_average_1m": round(self.load_average, 2),
                "considered_p50": float(np.median(self.considered)) if self.considered else None,
                "considered_max": max(self.considered, default=None),
                "approximate_share": round(self.approximate / max(1, len(self.considered)), 3)}


@dataclass(frozen=True)
class Target:
    path: str
    token: str


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    considered: list[int] = field(default_factory=list)  # pairs evaluated per request (RankedList.considered)
    approximate: int = 0  # requests answered by approximate (HNSW + taxonomy) retrieval
    wall_s: float = 0.0


async def hammer(client: aiohttp.ClientSession, targets: Sequence[Target], concurrency: int) -> Outcome:
    """Send every target once with `concurrency` workers (one keep-alive connection each)."""
    queue: asyncio.Queue[Target] = asyncio.Queue()
    for target in targets:
        queue.put_nowait(target)
    outcome = Outcome()

    async def worker() -> None:
        while True:
            try:
                target = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            began = time.perf_counter()
            try:
                async with client.get(target.path, headers={"Authorization": f"Bearer {target.token}"}) as response:
                    status = response.status
                    body = await response.read()
            except aiohttp.ClientError:
                status = 0
            elapsed = (time.perf_counter() - began) * 1000
            outcome.statuses[status] += 1
            if status == 200:
                outcome.latencies_ms.append(elapsed)
                ranked = json.loads(body)
                outcome.considered.append(ranked["considered"])
                outcome.approximate += ranked["retrieval"] == "approximate"

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    outcome.wall_s = time.perf_counter() - began
    return outcome


class RedisWatch:
    """Cache hits and misses from Redis' own counters, and flushing of the match cache."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.pattern = f"{prefix}cache:*"

    def counters(self) -> tuple[int, int]:
        stats = self.client.info("stats")
        return int(stats["keyspace_hits"]), int(stats["keyspace_misses"])

    def flush(self) -> int:
        keys = list(self.client.scan_iter(match=self.pattern, count=1000))
        for start in range(0, len(keys), 1000):
            self.client.unlink(*keys[start:start + 1000])
        return len(keys)


async def run_phase(client: aiohttp.ClientSession, endpoint: str, targets: Sequence[Target], concurrency: int,
                    cached: bool, watch: RedisWatch, meter: CpuMeter) -> Phase:
    if not cached:
        watch.flush()
    hits_before, misses_before = watch.counters()
    service_before, database_before = meter.read()
    outcome = await hammer(client, targets, concurrency)
    service_after, database_after = meter.read()
    hits_after, misses_after = watch.counters()
    phase = Phase(endpoint=endpoint, concurrency=concurrency, cached=cached, requests=len(targets),
                  errors=sum(count for status, count in outcome.statuses.items() if status != 200),
                  statuses=dict(outcome.statuses), latencies_ms=outcome.latencies_ms, wall_s=outcome.wall_s,
                  considered=outcome.considered, approximate=outcome.approximate,
                  cache_hits=hits_after - hits_before,
                  cache_misses=misses_after - misses_before, service_cpu_s=service_after - service_before,
                  database_cpu_s=database_after - database_before, load_average=os.getloadavg()[0])
    say(f"  {endpoint:<11} c={concurrency:<2} {'cached  ' if cached else 'uncached'} "
        f"p50 {phase.percentile(0.5):7.1f} ms  p95 {phase.percentile(0.95):7.1f} ms  "
        f"p99 {phase.percentile(0.99):7.1f} ms  {phase.throughput:6.1f} req/s  errors {phase.errors}  "
        f"hits {phase.cache_hits}/{phase.cache_hits + phase.cache_misses}  considered {phase.considered_text}")
    return phase


# ---------------------------------------------------------------------------------------------------
# The floor: the bare pgvector top-k query


FLOOR_SQL = f"""
    SELECT entity_id FROM text_vectors
    WHERE entity_kind = 'opening' AND vector_dims(embedding) = {DIMS} AND encoder_id = $2
    ORDER BY embedding::vector({DIMS}) <=> $1::vector({DIMS}) LIMIT {FLOOR_K}"""


@dataclass
class Floor:
    concurrency: int
    queries: int
    latencies_ms: list[float]
    wall_s: float
    plan: str = ""

    def percentile(self, share: float) -> float:
        return float(np.percentile(self.latencies_ms, share * 100))

    def summary(self) -> dict[str, Any]:
        return {"concurrency": self.concurrency, "queries": self.queries,
                "p50_ms": round(self.percentile(0.5), 2), "p95_ms": round(self.percentile(0.95), 2),
                "p99_ms": round(self.percentile(0.99), 2), "throughput_qps": round(self.queries / self.wall_s, 1)}


async def _floor_connection(conn: asyncpg.Connection) -> None:
    from pgvector.asyncpg import register_vector

    await register_vector(conn)


async def _floor_run(pool: asyncpg.Pool, encoder: str, queries: Sequence[np.ndarray], concurrency: int
                     ) -> tuple[list[float], float]:
    pending = list(queries)
    latencies: list[float] = []

    async def worker() -> None:
        async with pool.acquire() as conn:
            while pending:
                vector = pending.pop()
                began = time.perf_counter()
                rows = await conn.fetch(FLOOR_SQL, vector, encoder)
                latencies.append((time.perf_counter() - began) * 1000)
                if len(rows) != FLOOR_K:
                    raise RuntimeError(f"the floor query returned {len(rows)} rows, not {FLOOR_K}")

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began


async def measure_floor(database_url: str, encoder: str, queries: Sequence[np.ndarray],
                        concurrencies: Sequence[int]) -> list[Floor]:
    """The top-k opening query alone, straight to PostgreSQL, as fast as matching could ever be."""
    results = []
    # Session defaults, not SET: the pool's RESET ALL on release would undo a SET. HNSW returns at most
    # ef_search rows per scan, so k=200 with ef_search=100 needs the iterative scan, as the service uses.
    pool = await asyncpg.create_pool(database_url, min_size=max(concurrencies), max_size=max(concurrencies),
                                     init=_floor_connection, server_settings={
                                         "hnsw.ef_search": str(FLOOR_EF_SEARCH),
                                         "hnsw.iterative_scan": "relaxed_order"})
    try:
        async with pool.acquire() as conn:
            plan = "\n".join(row[0] for row in await conn.fetch(f"EXPLAIN {FLOOR_SQL}", queries[0], encoder))
            if "hnsw" not in plan:
                say(f"WARNING: the floor query does not use the HNSW index:\n{plan}")
        # Warm the index pages and every connection's prepared statement, as the service is warmed.
        await _floor_run(pool, encoder, queries[:WARMUP_PER_CLIENT * max(concurrencies)], max(concurrencies))
        for concurrency in concurrencies:
            latencies, wall = await _floor_run(pool, encoder, queries, concurrency)
            floor = Floor(concurrency, len(queries), latencies, wall, plan)
            say(f"  floor c={concurrency:<2} p50 {floor.percentile(0.5):6.2f} ms  p95 {floor.percentile(0.95):6.2f} ms"
                f"  {floor.queries / floor.wall_s:7.1f} queries/s")
            results.append(floor)
    finally:
        await pool.close()
    return results


# ---------------------------------------------------------------------------------------------------
# In-process profile: time every SQL statement of the two pipelines, EXPLAIN ANALYZE the slowest


@dataclass
class StatementStats:
    sql: str
    calls: int = 0
    total_ms: float = 0.0
    slowest_ms: float = 0.0
    slowest_args: tuple[Any, ...] = ()
    durations: list[float] = field(default_factory=list)


def _statement_name(sql: str) -> str:
    return " ".join(sql.split())[:110]


async def profile(pool: asyncpg.Pool, settings: Settings, citizens: Sequence[tuple[uuid.UUID, int]],
                  openings: Sequence[tuple[uuid.UUID, int]], principals: dict[int, Any]) -> str:
    """Run the service functions in-process (no cache, rolled back) and break their time down per statement."""
    from core.cache import Cache
    from matching import service
    from scoring.service import active_scorer

    # The scorer the service would use; `active_scorer` reads the promoted model from the database in
    # newer versions of scoring.service and took no arguments before.
    make_scorer: Any = active_scorer
    async with pool.acquire() as conn:
        scorer = make_scorer(*([conn] if inspect.signature(active_scorer).parameters else []))
        scorer = await scorer if inspect.isawaitable(scorer) else scorer
    engine = service.Engine(encoder_id=configured_encoder_id(settings.encoder), dims=DIMS, scorer=scorer,
                            cache=Cache(None, ""), today=today())
    lines: list[str] = []
    for endpoint, subjects in (("suggestions", citizens), ("candidates", openings)):
        stats: dict[str, StatementStats] = {}

        def log(record: Any, stats: dict[str, StatementStats] = stats) -> None:
            name = _statement_name(record.query)
            entry = stats.setdefault(name, StatementStats(record.query))
            elapsed = record.elapsed * 1000
            entry.calls += 1
            entry.total_ms += elapsed
            entry.durations.append(elapsed)
            if elapsed > entry.slowest_ms:
                entry.slowest_ms, entry.slowest_args = elapsed, tuple(record.args or ())

        async def request(conn: asyncpg.Connection, subject: uuid.UUID, jobcentre: int, endpoint: str = endpoint
                          ) -> float:
            query = service.MatchQuery(limit=20)
            began = time.perf_counter()
            transaction = conn.transaction()
            await transaction.start()
            try:
                if endpoint == "suggestions":
                    await service.suggestions_for_citizen(conn, principals[jobcentre], subject, query, engine)
                else:
                    await service.candidates_for_opening(conn, principals[jobcentre], subject, query, engine)
            finally:
                await transaction.rollback()
            return (time.perf_counter() - began) * 1000

        totals: list[float] = []
        async with pool.acquire() as conn:
            # Untimed: builds the per-process caches (taxonomy snapshot, postcode centres, type codecs).
            await request(conn, *subjects[0])
            conn.add_query_logger(log)
            for subject, jobcentre in subjects[1:]:
                totals.append(await request(conn, subject, jobcentre))
            conn.remove_query_logger(log)
        per_request = statistics.mean(totals)
        sql_ms = sum(entry.total_ms for entry in stats.values()) / len(totals)
        lines.append(f"### {endpoint}: {len(totals)} uncached requests in-process, mean {per_request:.1f} ms "
                     f"(p95 {np.percentile(totals, 95):.1f} ms); SQL {sql_ms:.1f} ms, the rest (Python, "
                     f"round trips) {per_request - sql_ms:.1f} ms")
        lines.append("")
        lines.append("| ms/request | calls/request | p95 ms | statement |")
        lines.append("|---:|---:|---:|---|")
        ranked = sorted(stats.values(), key=lambda entry: -entry.total_ms)
        for entry in ranked:
            lines.append(f"| {entry.total_ms / len(totals):.2f} | {entry.calls / len(totals):.1f} | "
                         f"{np.percentile(entry.durations, 95):.2f} | `{_statement_name(entry.sql)}` |")
        lines.append("")
        async with pool.acquire() as conn:
            for entry in ranked[:3]:
                if entry.total_ms / len(totals) < 2 or not entry.sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                transaction = conn.transaction()
                await transaction.start()
                try:
                    if "<=>" in entry.sql:
                        await conn.execute("SET LOCAL hnsw.ef_search = 100; SET LOCAL hnsw.iterative_scan = "
                                           "relaxed_order")
                    plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {entry.sql}", *entry.slowest_args)
                finally:
                    await transaction.rollback()
                lines.append(f"EXPLAIN ANALYZE of `{_statement_name(entry.sql)[:80]}` (its slowest call, "
                             f"{entry.slowest_ms:.1f} ms):")
                lines.append("")
                lines.append("```")
                lines.extend(row[0] if len(row[0]) <= 160 else row[0][:157] + "..." for row in plan)
                lines.append("```")
                lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Real encoder throughput (a separate figure)


async def encode_throughput(pool: asyncpg.Pool, encoder_name: str, count: int) -> dict[str, Any]:
    from embeddings import repository
    from embeddings.texts import entity_text, references
    from taxonomy.encoders import get_encoder

    async with pool.acquire() as conn:
        rows = await repository.fetch_page(conn, EntityKind.OPENING, configured_encoder_id(encoder_name),
                                           limit=count)
        labels = await repository.labels(conn, references(EntityKind.OPENING, rows))
    texts = [text for row in rows if (text := entity_text(EntityKind.OPENING, row, labels))]
    began = time.perf_counter()
    encoder = await asyncio.to_thread(get_encoder, encoder_name)
    await asyncio.to_thread(encoder.encode, texts[:1], kind="passage")  # the model loads on first use
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    for start in range(0, len(texts), 256):  # the worker's batch size
        await asyncio.to_thread(encoder.encode, texts[start:start + 256], kind="passage")
    encode_s = time.perf_counter() - began
    return {"encoder": encoder.id, "texts": len(texts), "mean_chars": round(statistics.mean(map(len, texts))),
            "load_s": round(load_s, 1), "encode_s": round(encode_s, 1),
            "texts_per_s": round(len(texts) / encode_s, 1), "load_average_1m": round(os.getloadavg()[0], 1)}


# ---------------------------------------------------------------------------------------------------
# Reporting


def results_table(phases: Sequence[Phase]) -> list[str]:
    lines = ["| endpoint | concurrency | cache | p50 ms | p95 ms | p99 ms | req/s | errors | cache hits | "
             "CPU ms/req: service + PostgreSQL | pairs considered: median, max (approximate) | load avg |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for phase in phases:
        lines.append(
            f"| {phase.endpoint} | {phase.concurrency} | {'cached' if phase.cached else 'uncached'} | "
            f"{phase.percentile(0.5):.1f} | {phase.percentile(0.95):.1f} | {phase.percentile(0.99):.1f} | "
            f"{phase.throughput:.1f} | {phase.errors}/{phase.requests} | {100 * phase.hit_rate:.0f}% | "
            f"{1000 * phase.service_cpu_s / phase.requests:.1f} + {1000 * phase.database_cpu_s / phase.requests:.1f} | "
            f"{phase.considered_text if not phase.cached else ''} | {phase.load_average:.1f} |")
    return lines


def floor_table(floors: Sequence[Floor]) -> list[str]:
    lines = ["| floor: pgvector top-k | concurrency | p50 ms | p95 ms | p99 ms | queries/s |",
             "|---|---:|---:|---:|---:|---:|"]
    for floor in floors:
        lines.append(f"| k={FLOOR_K}, ef_search={FLOOR_EF_SEARCH} | {floor.concurrency} | "
                     f"{floor.percentile(0.5):.2f} | {floor.percentile(0.95):.2f} | {floor.percentile(0.99):.2f} | "
                     f"{floor.queries / floor.wall_s:.1f} |")
    return lines


def verdicts(phases: Sequence[Phase], floors: Sequence[Floor]) -> list[str]:
    floor = next((item for item in floors if item.concurrency == TARGET_CONCURRENCY), None)
    lines = []
    for phase in phases:
        if phase.cached or phase.concurrency != TARGET_CONCURRENCY:
            continue
        p95 = phase.percentile(0.95)
        line = (f"{phase.endpoint}, uncached, concurrency {TARGET_CONCURRENCY}: p95 {p95:.1f} ms "
                f"(target ≤ {TARGET_P95_MS:.0f} ms: {'met' if p95 <= TARGET_P95_MS else 'NOT met'})")
        if floor is not None:
            ratio = p95 / floor.percentile(0.95)
            line += (f"; {ratio:.1f}× the floor's p95 of {floor.percentile(0.95):.2f} ms "
                     f"(target ≤ {TARGET_FLOOR_RATIO:.0f}×: {'met' if ratio <= TARGET_FLOOR_RATIO else 'NOT met'})")
        lines.append(line)
    return lines


def code_version() -> str:
    """The commit measured, and whether tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}{' with uncommitted changes' if dirty else ''}"


def machine() -> str:
    model = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        model = found.group(1).strip() if found else ""
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({model or platform.processor() or 'unknown CPU'}), {memory:.0f} GiB RAM"


def docs_section(report: dict[str, Any], phases: Sequence[Phase], floors: Sequence[Floor]) -> str:
    rows = report["data"]["rows"]
    plan = report["data"]["plan"]
    timings = report["data"]["timings"]
    encode = report.get("encoder_throughput")
    load_avg = ", ".join(f"{value:.1f}" for value in report["load_average_before"])
    busy = (": other jobs shared the machine, so wall-clock figures are pessimistic"
            if report["load_average_before"][0] >= 1 else "")
    import_rate = timings.get("import_openings_rows", 0) / timings.get("import_openings_s", 1)
    texts = rows["openings"] + rows["citizens"] + rows["employers"]
    parts = [
        f"Measured {report['date']} on {report['machine']}; code {report['code']}; PostgreSQL "
        f"{report['postgres']} (embedded, shared_buffers {report['shared_buffers']}, otherwise default settings), "
        f"pgvector {report['pgvector']}. The service is `brobygger serve --workers {report['service_workers']}` "
        f"({report['service_workers']} uvicorn process(es), each with a pool of "
        f"{report['db_pool_max']} connections); the load generator runs on the same machine. Load average "
        f"(1, 5, 15 min) before the run: {load_avg}{busy}; the CPU milliseconds per request are the steadier "
        "measure of cost.",
        "",
        "Command:",
        "",
        f"    {report['command']}",
        "",
        f"Data (scale {plan['scale']}, seed {plan['seed']}, dates relative to {plan['reference_date']}, history "
        f"{plan['history_weeks']} weeks): {rows['openings']:,} openings ({rows['open_openings']:,} open), "
        f"{rows['employers']:,} employers, {rows['citizens']:,} citizens ({rows['active_citizens']:,} active) in "
        f"{len(plan['jobcentres'])} jobcentres (every fourth kommune code), {rows['placements']:,} placements. "
        f"Vectors: {sum(report['data']['vectors'].values()):,} synthetic unit vectors of dimension {DIMS} with "
        f"HNSW indexes on openings and citizens. Loading took {timings['total_s'] / 60:.0f} minutes once "
        f"(import without code inference: openings {import_rate:.0f} rows/s).",
        "",
        f"Each phase sends {report['requests_per_phase']} requests (`limit=20`) from N concurrent clients "
        "(aiohttp, one keep-alive connection each). *Uncached*: the match cache is flushed first and every "
        "request asks for a citizen (opening) not asked before in the run; *cached*: the same requests again. "
        "Cache hits are Redis' own counters. Every uncached request also stores its 20 suggestions. Before the "
        f"phases, {WARMUP_PER_CLIENT} requests per client at the highest concurrency warm every API process and "
        "database connection (the floor's connections likewise). CPU is the service's processes' and all "
        "PostgreSQL processes' CPU time during the phase, divided by its requests.",
        "",
        *results_table(phases),
        "",
        f"The floor is the bare top-k query on opening vectors straight to PostgreSQL (`ORDER BY "
        f"embedding::vector({DIMS}) <=> q LIMIT {FLOOR_K}` on the HNSW index, no filter, a citizen's vector as q; "
        f"`hnsw.iterative_scan = relaxed_order` as the service sets it, since one HNSW pass yields at most "
        f"ef_search = {FLOOR_EF_SEARCH} rows):",
        "",
        *floor_table(floors),
        "",
        *[f"- {line}" for line in verdicts(phases, floors)],
    ]
    if encode:
        parts += ["", f"Real encoder, for comparison: `{encode['encoder']}` encodes opening texts (mean "
                      f"{encode['mean_chars']} characters) at {encode['texts_per_s']} texts/s in batches of 256 "
                      f"({encode['texts']} texts, {encode['encode_s']} s); the {texts:,} texts of this data "
                      f"set would take ~{texts / encode['texts_per_s'] / 3600:.1f} h on this machine (load average "
                      f"{encode.get('load_average_1m', '?')} at the end of the encoding)."]
    parts += [
        "",
        "Caveats: the vectors are synthetic (deterministic; a shared direction plus an occupation-group "
        "direction plus noise, so that neighbours cluster as with a real encoder; see the module docstring), "
        "because encoding ~180,000 texts takes hours on 2 cores. Their count, dimension and indexes are the "
        "real ones, so the cost of retrieval is representative, its quality is not; with real vectors the "
        "filtered HNSW scans may stop earlier or later. Demo data spreads citizens and employers evenly over "
        "the jobcentres; real jobcentres differ tenfold in size. The load generator (aiohttp) shares the 2 "
        "cores with the service and PostgreSQL, so throughput at high concurrency is a lower bound.",
    ]
    return "\n".join(wrap(part) for part in parts)


def wrap(paragraph: str, width: int = 105) -> str:
    """Prose wrapped like the rest of docs/benchmarks.md; tables and code blocks as they are."""
    if not paragraph or paragraph.startswith(("|", "    ")):
        return paragraph
    indent = "  " if paragraph.startswith("- ") else ""
    return textwrap.fill(paragraph, width=width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def write_docs(path: Path, section_body: str) -> None:
    text = path.read_text(encoding="utf-8")
    block = f"{BEGIN_MARK}\n{section_body}\n{END_MARK}"
    if BEGIN_MARK in text and END_MARK in text:
        before, rest = text.split(BEGIN_MARK, 1)
        _, after = rest.split(END_MARK, 1)
        text = before + block + after
    elif SECTION in text:
        before, after = text.split(SECTION, 1)
        text = f"{before}{SECTION}\n\n{block}\n{after}"
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# The run


async def consultants(pool: asyncpg.Pool, settings: Settings, jobcentres: Sequence[int]
                      ) -> tuple[dict[int, str], dict[int, Any]]:
    """A fresh consultant per jobcentre, with a JWT the service accepts."""
    config = users.TokenConfig(settings.token_secret.get_secret_value(), dt.timedelta(hours=6))
    tokens: dict[int, str] = {}
    principals: dict[int, Any] = {}
    async with pool.acquire() as conn, conn.transaction():
        for code in jobcentres:
            principal = await users.create_user(conn, name=f"Benchmark {code}", role=Role.CONSULTANT,
                                                jobcentre_code=code)
            principals[code] = principal
            tokens[code] = users.issue_token(principal, config)
    return tokens, principals


async def subjects(pool: asyncpg.Pool, jobcentres: Sequence[int], seed: int, count: int
                   ) -> tuple[list[tuple[uuid.UUID, int]], list[tuple[uuid.UUID, int]]]:
    """Active citizens, and open openings in a benchmarked kommune, in a seeded random order."""
    async with pool.acquire() as conn:
        citizens = await conn.fetch(
            "SELECT id, jobcentre_code FROM citizens WHERE active ORDER BY md5(id::text || $1) LIMIT $2",
            str(seed), count)
        openings = await conn.fetch(
            """SELECT o.id, p.kommune_code FROM openings o JOIN postcodes p ON p.postcode = o.postcode
               WHERE o.status = 'open' AND p.kommune_code = ANY($1::smallint[])
               ORDER BY md5(o.id::text || $2) LIMIT $3""", list(jobcentres), str(seed), count)
    return ([(row["id"], row["jobcentre_code"]) for row in citizens],
            [(row["id"], row["kommune_code"]) for row in openings])


async def citizen_vectors(pool: asyncpg.Pool, encoder: str, ids: Sequence[uuid.UUID]) -> list[np.ndarray]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT embedding FROM text_vectors
               WHERE entity_kind = 'citizen' AND encoder_id = $1 AND entity_id = ANY($2::uuid[])""",
            encoder, list(ids))
    return [row["embedding"].to_numpy() for row in rows]


def run_options(argv: Sequence[str]) -> list[str]:
    """The options that shape the measurement, without where results are written (for the record)."""
    kept: list[str] = []
    skip = False
    for item in argv:
        if skip:
            skip = False
        elif item in ("--docs-path", "--json", "--code"):
            skip = True
        elif not item.startswith(("--docs-path=", "--json=", "--code=")):
            kept.append(item)
    return kept


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="Fraction of 100k openings / 30k employers / 50k citizens (e.g. 0.05 to try).")
    parser.add_argument("--rebuild", action="store_true", help="Regenerate and reload the data at this scale.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--history-weeks", type=int, default=0,
                        help="Weeks of decisions and placements history to generate and import.")
    parser.add_argument("--requests", type=int, default=None,
                        help="Requests per phase (default 300 at scale >= 0.5, else 100).")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--endpoints", nargs="+", choices=["suggestions", "candidates"],
                        default=["suggestions", "candidates"])
    parser.add_argument("--floor-queries", type=int, default=500)
    parser.add_argument("--service-workers", type=int, default=2,
                        help="API processes (`brobygger serve --workers`); about one per core.")
    parser.add_argument("--encode-sample", type=int, default=1000,
                        help="Opening texts to encode with the real encoder afterwards (0: skip).")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="Also run N uncached requests per endpoint in-process, timing every statement.")
    parser.add_argument("--load-only", action="store_true", help="Load (or check) the data and stop.")
    parser.add_argument("--docs", action="store_true", help="Write the results into docs/benchmarks.md.")
    parser.add_argument("--docs-path", type=Path, default=DOCS, help="The benchmarks document to write into.")
    parser.add_argument("--code", default=None,
                        help="What code is measured, for the record (default: the git commit of this checkout).")
    parser.add_argument("--json", type=Path, default=None, help="Also write the raw results to this file.")
    return parser.parse_args(argv)


async def measure(arguments: argparse.Namespace, resolved: Settings, data: dict[str, Any]) -> dict[str, Any]:
    encoder = configured_encoder_id(resolved.encoder)
    plan = data["plan"]
    requests = arguments.requests or (300 if arguments.scale >= 0.5 else 100)
    phases_per_endpoint = len(arguments.concurrency)
    warmup = WARMUP_PER_CLIENT * max(arguments.concurrency)
    needed = warmup + requests * phases_per_endpoint + (arguments.profile + 1 if arguments.profile else 0)
    assert resolved.database_url is not None and resolved.redis_url is not None
    pool = await create_pool(resolved.database_url, min_size=1, max_size=4)
    try:
        tokens, principals = await consultants(pool, resolved, plan["jobcentres"])
        citizens, openings = await subjects(pool, plan["jobcentres"], arguments.seed, needed)
        if len(citizens) < needed or len(openings) < needed:
            raise SystemExit(f"not enough subjects for {needed} distinct requests per endpoint "
                             f"({len(citizens)} citizens, {len(openings)} openings): lower --requests")
        floor_queries = await citizen_vectors(pool, encoder, [item[0] for item in citizens[:arguments.floor_queries]])
        async with pool.acquire() as conn:
            postgres = await conn.fetchval("SHOW server_version")
            pgvector = await conn.fetchval("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            shared_buffers = await conn.fetchval("SHOW shared_buffers")
    finally:
        await pool.close()

    paths = {
        "suggestions": [Target(f"/v1/citizens/{subject}/suggestions?limit=20", tokens[code])
                        for subject, code in citizens],
        "candidates": [Target(f"/v1/openings/{subject}/candidates?limit=20", tokens[code])
                       for subject, code in openings],
    }
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = resolved.data_dir / "service.log"
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(), "machine": machine(), "postgres": postgres, "pgvector": pgvector,
        "shared_buffers": shared_buffers, "db_pool_max": resolved.db_pool_max,
        "service_workers": arguments.service_workers,
        "command": " ".join([".venv/bin/python benchmarks/suggest_latency.py", *run_options(sys.argv[1:])]),
        "requests_per_phase": requests, "data": data, "load_average_before": list(os.getloadavg()),
        "code": arguments.code or code_version(),
    }
    phases: list[Phase] = []
    say(f"starting the service on {base_url} (log: {log_path})")
    with running_service(resolved, port, log_path, arguments.service_workers) as service:
        wait_until_ready(base_url, service, log_path)
        waited = wait_until_quiet(service)
        say(f"service ready; waited {waited:.0f} s for its start-up work (taxonomy index) to finish")
        watch = RedisWatch(resolved.redis_url, resolved.redis_prefix)
        meter = CpuMeter(service, resolved.data_dir.resolve() / "postgres")
        # aiohttp, not httpx, as the load generator: httpx cost ~1.3 ms of CPU per request on these cores (a
        # trivial endpoint answered at most ~800 requests/s through it, ~6,000 through aiohttp), CPU and
        # event-loop time that the service's figures paid for.
        connector = aiohttp.TCPConnector(limit=max(arguments.concurrency))
        async with aiohttp.ClientSession(base_url=base_url, connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=120)) as client:
            for endpoint in arguments.endpoints:
                targets = paths[endpoint]
                # At the highest concurrency, so that every API process and the database connections its
                # pool opens have served requests (prepared statements, first-use caches) before the timing.
                warm = await hammer(client, targets[:warmup], max(arguments.concurrency))
                if set(warm.statuses) != {200}:
                    raise RuntimeError(f"warm-up {endpoint} answered {dict(warm.statuses)}; see {log_path}")
                offset = warmup
                for concurrency in arguments.concurrency:
                    batch = targets[offset:offset + requests]
                    offset += requests
                    phases.append(await run_phase(client, endpoint, batch, concurrency, False, watch, meter))
                    phases.append(await run_phase(client, endpoint, batch, concurrency, True, watch, meter))
        say("floor: the bare top-k query on opening vectors")
        floors = await measure_floor(resolved.database_url, encoder, floor_queries,
                                     sorted({1, TARGET_CONCURRENCY}))
    report["phases"] = [phase.summary() for phase in phases]
    report["floor"] = [floor.summary() for floor in floors]
    report["verdicts"] = verdicts(phases, floors)

    if arguments.profile:
        pool = await create_pool(resolved.database_url, min_size=1, max_size=2)
        try:
            offset = warmup + requests * phases_per_endpoint
            report["profile"] = await profile(pool, resolved, citizens[offset:offset + arguments.profile + 1],
                                              openings[offset:offset + arguments.profile + 1], principals)
        finally:
            await pool.close()
    if arguments.encode_sample:
        say(f"encoding {arguments.encode_sample} opening texts with the real encoder ({resolved.encoder})")
        pool = await create_pool(resolved.database_url, min_size=1, max_size=2)
        try:
            report["encoder_throughput"] = await encode_throughput(pool, resolved.encoder, arguments.encode_sample)
        finally:
            await pool.close()
    report["_phases"] = phases
    report["_floors"] = floors
    return report


def main(argv: Sequence[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    jobcentres = default_jobcentres()
    plan = LoadPlan.for_scale(arguments.scale, arguments.seed, jobcentres, arguments.history_weeks)
    data_dir = CACHE / f"suggest-latency-scale{arguments.scale:g}-seed{arguments.seed}-history{arguments.history_weeks}"
    marker = data_dir / "loaded.json"
    if arguments.rebuild and data_dir.exists():
        say(f"removing {data_dir}")
        shutil.rmtree(data_dir)
    settings = Settings(data_dir=data_dir, database_url=None, redis_url=None)
    encoder = configured_encoder_id(settings.encoder)
    with infrastructure(settings) as resolved:
        data = json.loads(marker.read_text()) if marker.exists() else None
        if data is not None and (data.get("format") != DATA_FORMAT or data.get("encoder_id") != encoder):
            raise SystemExit(f"{data_dir} holds data of another format or encoder: run with --rebuild")
        if data is None:
            if any(data_dir.glob("demo/*.jsonl")) and not arguments.rebuild:
                say("an earlier load was interrupted; importing again (imports are idempotent upserts)")

            async def load() -> dict[str, Any]:
                assert resolved.database_url is not None
                pool = await create_pool(resolved.database_url, min_size=2, max_size=3)
                try:
                    return await load_data(pool, plan, data_dir, encoder)
                finally:
                    await pool.close()

            data = asyncio.run(load())
            marker.write_text(json.dumps(data, indent=2) + "\n")
            say(f"data loaded in {data['timings']['total_s'] / 60:.1f} min: {data['rows']}")
        else:
            say(f"reusing the data in {data_dir}: {data['rows']}")
            age = (today() - dt.date.fromisoformat(data["plan"]["reference_date"])).days
            if age > STALE_AFTER_DAYS:
                say(f"WARNING: the data was generated for {data['plan']['reference_date']}, {age} days ago: many "
                    "openings have expired since, which changes what matching does. Run with --rebuild.")
        if arguments.load_only:
            return
        report = asyncio.run(measure(arguments, resolved, data))

    phases: list[Phase] = report.pop("_phases")
    floors: list[Floor] = report.pop("_floors")
    print()
    print("\n".join(results_table(phases)))
    print()
    print("\n".join(floor_table(floors)))
    print()
    print("\n".join(report["verdicts"]))
    if "encoder_throughput" in report:
        print(f"real encoder: {report['encoder_throughput']}")
    print("vectors are synthetic (see the module docstring); the load generator shares the machine.")
    if "profile" in report:
        print()
        print(report["profile"])
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    if arguments.docs:
        write_docs(arguments.docs_path, docs_section(report, phases, floors))
        say(f"wrote the '{SECTION}' section of {arguments.docs_path}")


if __name__ == "__main__":
    main()
