"""Weekly batch at scale: demo citizens × openings, the whole run with 1 and 2 worker processes, broken
down by stage, with the workers' peak memory; and in the same process the floor: exact top-50 cosine
search of every citizen's vector against every opening's (blocked NumPy, BLAS on all cores).

    .venv/bin/python benchmarks/batch_scale.py --citizens 10000 --openings 10000 --workers 1,2

Data: `demo.generator` for jobcentres 101 (København) and 751 (Aarhus), imported with the bulk importer
without code inference. Vectors are synthetic (384 dimensions, unit length): each entity's vector is its
occupation group's (ISCO-08 2-digit, or the employer's industry) random direction plus noise, so text
similarity carries signal without encoding 2 × N texts (which alone takes longer than the batch). Runs a
fresh embedded PostgreSQL and Redis in a temporary directory unless BROBYGGER_DATABASE_URL /
BROBYGGER_REDIS_URL are set. Prints a JSON report (also written to --report).
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.runtime import infrastructure  # noqa: E402
from batch import service, tasks  # noqa: E402
from batch.schemas import BatchRunCreate, RunOrigin  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import open_pool, transaction  # noqa: E402
from core.importing import ImportKind, import_file  # noqa: E402
from core.queue import configure_broker  # noqa: E402
from demo.generator import DEFAULT_REFERENCE_DATE, generate  # noqa: E402
from taxonomy.encoders import encoder_id  # noqa: E402
from users.schemas import OPERATOR  # noqa: E402

JOBCENTRES = (101, 751)
DIMS = 384
TOP = 50
NOISE = 0.9


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def load(settings: Settings, data: Path) -> dict[str, float]:
    timings = {}
    async with open_pool(settings.database_url, max_size=4) as pool:
        for kind in ("employers", "openings", "citizens", "decisions", "placements"):
            started = time.perf_counter()
            report = await import_file(pool, ImportKind(kind), data / f"{kind}.jsonl", OPERATOR, normaliser=None)
            timings[f"import_{kind}"] = round(time.perf_counter() - started, 1)
            log(f"imported {report.written} {kind} ({len(report.rejected)} rejected)")
        started = time.perf_counter()
        await synthetic_vectors(pool, encoder_id(settings.encoder))
        timings["vectors"] = round(time.perf_counter() - started, 1)
    return timings


async def synthetic_vectors(pool: Any, encoder: str) -> None:
    rng = np.random.default_rng(7)
    directions: dict[str, np.ndarray] = {}

    def vector(topic: str) -> np.ndarray:
        if topic not in directions:
            directions[topic] = rng.standard_normal(DIMS).astype(np.float32)
        raw = directions[topic] + NOISE * rng.standard_normal(DIMS).astype(np.float32)
        unit: np.ndarray = raw / np.linalg.norm(raw)
        return unit

    queries = {
        "opening": """SELECT o.id, coalesce(left(occ.isco_group, 2), 'x' || o.employer_id) AS topic
                      FROM openings o LEFT JOIN occupations occ ON occ.uri = o.occupation_uri""",
        "employer": "SELECT id, coalesce(left(industry, 2), 'none') AS topic FROM employers",
        "citizen": """SELECT c.id, coalesce(left(occ.isco_group, 2), 'none') AS topic FROM citizens c
                      LEFT JOIN occupations occ ON occ.uri = coalesce(c.experience->0->>'occupation_uri',
                                                                      c.wishes->'occupations'->0->>'uri')""",
    }
    async with pool.acquire() as conn:
        for kind, query in queries.items():
            rows = await conn.fetch(query)
            records = [(kind, row["id"], encoder, "0" * 32, vector(row["topic"])) for row in rows]
            await conn.copy_records_to_table("text_vectors", records=records,
                                             columns=["entity_kind", "entity_id", "encoder_id", "content_hash",
                                                      "embedding"])
            log(f"{len(records)} synthetic {kind} vectors")


async def floor(settings: Settings) -> dict[str, float]:
    """Exact top-50 cosine for every citizen against every opening (what any exact matcher must do)."""
    async with open_pool(settings.database_url, max_size=1) as pool, pool.acquire() as conn:
        citizens = await conn.fetch("SELECT embedding FROM text_vectors WHERE entity_kind = 'citizen'")
        openings = await conn.fetch("SELECT embedding FROM text_vectors WHERE entity_kind = 'opening'")
    left = np.vstack([row["embedding"].to_numpy() for row in citizens]).astype(np.float32)
    right = np.vstack([row["embedding"].to_numpy() for row in openings]).astype(np.float32)
    rows = max(64, min(2048, 50_000_000 // max(len(right), 1)))  # a block of scores stays near 200 MB
    started = time.perf_counter()
    for start in range(0, len(left), rows):
        block = left[start:start + rows] @ right.T
        np.argpartition(-block, TOP, axis=1)[:, :TOP]
    seconds = time.perf_counter() - started
    return {"floor_seconds": round(seconds, 1), "floor_citizens": len(left), "floor_openings": len(right)}


class MemorySampler(threading.Thread):
    """Peak resident memory of a process tree (the workers), sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                root = psutil.Process(self.pid)
                total = sum(process.memory_info().rss for process in [root, *root.children(recursive=True)])
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.2)


async def batch(settings: Settings, workers: int, week: str, shard_size: int) -> dict[str, Any]:
    assert settings.database_url is not None and settings.redis_url is not None
    environment = {**os.environ, "BROBYGGER_DATABASE_URL": settings.database_url,
                   "BROBYGGER_REDIS_URL": settings.redis_url, "BROBYGGER_REDIS_PREFIX": settings.redis_prefix,
                   "BROBYGGER_ENCODER": settings.encoder, "OMP_WAIT_POLICY": "passive"}
    # The batch jobs only: `brobygger worker` would also start re-encoding the synthetic vectors' texts.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dramatiq", "api.worker:setup_broker", "batch.tasks", "--processes", str(workers),
        "--threads", "1", cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    sampler = MemorySampler(process.pid)
    sampler.start()
    try:
        await asyncio.sleep(3)  # the worker processes start
        async with open_pool(settings.database_url, max_size=2) as pool:
            started = time.perf_counter()
            runs: list[uuid.UUID] = []
            for code in JOBCENTRES:
                async with transaction(pool) as conn:
                    run, steps = await service.request_run(
                        conn, OPERATOR, BatchRunCreate(jobcentre=code, week=week, force=True),
                        today=DEFAULT_REFERENCE_DATE, origin=RunOrigin.CLI, shard_size=shard_size)
                await tasks.send_steps(steps)
                runs.append(run.id)
            finished: dict[uuid.UUID, Any] = {}
            while len(finished) < len(runs):
                await asyncio.sleep(0.5)
                async with pool.acquire() as conn:
                    for run_id in runs:
                        found = await service.get_run(conn, OPERATOR, run_id)
                        if found.state in ("done", "failed") and run_id not in finished:
                            finished[run_id] = found
                            log(f"{workers} worker(s): jobcentre {found.jobcentre} {found.state} after "
                                f"{time.perf_counter() - started:.1f} s {found.error or ''}")
            wall = time.perf_counter() - started
    finally:
        sampler.stopped.set()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    return {
        "workers": workers, "wall_seconds": round(wall, 1), "peak_worker_rss_mb": round(sampler.peak / 2**20),
        "runs": [{"jobcentre": run.jobcentre, "state": run.state, "error": run.error,
                  "citizens": run.summary.citizens if run.summary else None,
                  "candidates": run.summary.candidates if run.summary else None,
                  "seconds_by_stage": run.timings.seconds_by_stage,
                  "assigned": run.summary.assigned.model_dump() if run.summary and run.summary.assigned else None,
                  "top_k": run.summary.top_k.model_dump() if run.summary and run.summary.top_k else None,
                  "solver_seconds": run.summary.solver_seconds if run.summary else None}
                 for run in finished.values()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--openings", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2", help="Worker process counts to run, comma-separated.")
    parser.add_argument("--shard-size", type=int, default=service.DEFAULT_SHARD_SIZE)
    parser.add_argument("--history-weeks", type=int, default=8)
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")

    with tempfile.TemporaryDirectory(prefix="brobygger-batch-bench-") as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", redis_prefix="bench:", taxonomy_dense=False)
        data = Path(scratch) / "demo"
        started = time.perf_counter()
        employers = max(1, args.openings // 2)
        counts = generate(data, jobcentres=JOBCENTRES, citizens=args.citizens, employers=employers,
                          openings_per_employer=args.openings / employers, seed=1,
                          history_weeks=args.history_weeks)
        report: dict[str, Any] = {"counts": counts, "generate_seconds": round(time.perf_counter() - started, 1),
                                  "date": dt.date.today().isoformat(), "cores": os.cpu_count()}
        log(f"generated {counts}")
        with infrastructure(settings) as resolved:
            assert resolved.redis_url is not None
            configure_broker(resolved.redis_url, resolved.redis_prefix)
            report.update(asyncio.run(load(resolved, data)))
            report.update(asyncio.run(floor(resolved)))
            log(f"floor: {report['floor_seconds']} s")
            week = service.week_of(DEFAULT_REFERENCE_DATE)
            report["batch"] = [asyncio.run(batch(resolved, int(workers), week, args.shard_size))
                               for workers in args.workers.split(",")]
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.report is not None:
        args.report.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
