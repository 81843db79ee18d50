"""Test infrastructure: one embedded PostgreSQL and Redis per session, a fresh database per test.

Each test gets its own database cloned from a migrated template and its own Redis key prefix, and
talks to the real app through httpx.
"""

import datetime as dt
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from api.app import create_app
from core.config import Settings, get_settings
from core.db import create_pool
from core.embedded import EmbeddedPostgres, EmbeddedRedis
from core.migrate import upgrade
from core.vocab import Role
from taxonomy import service as taxonomy
from users import service as users
from users.schemas import Principal

TEMPLATE = "brobygger_template"
TEST_SECRET = "test-secret-0123456789-0123456789-0123456789"
_counter = itertools.count()


def database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """Embedded PostgreSQL and Redis for the session, plus a migrated template database."""
    external_db = os.environ.get("BROBYGGER_TEST_DATABASE_URL")
    # Not under pytest's private tmp dir: PostgreSQL runs as its own system user when we are root.
    data_dir = Path(tempfile.mkdtemp(prefix="brobygger-test-", dir=_memory_dir()))
    with EmbeddedRedis(data_dir) as redis_server:
        redis_url = redis_server.start()
        if external_db:
            yield _prepare_template(external_db), redis_url
            return
        with EmbeddedPostgres(data_dir, delete_on_stop=True) as postgres:
            yield _prepare_template(postgres.start()), redis_url
    shutil.rmtree(data_dir, ignore_errors=True)


def _memory_dir() -> str | None:
    """A tmpfs for the embedded servers' files, where the machine has one: cloning a database there
    takes milliseconds instead of a disk checkpoint."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108 - a private mkdtemp inside


@pytest.fixture(scope="session")
def clone_strategy() -> str:
    """FILE_COPY when the server's files live in memory (fastest there); WAL_LOG on disk (no checkpoint)."""
    in_memory = _memory_dir() is not None and not os.environ.get("BROBYGGER_TEST_DATABASE_URL")
    return "FILE_COPY" if in_memory else "WAL_LOG"


def _prepare_template(url: str) -> str:
    import asyncio

    async def recreate() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await conn.close()

    async def load_taxonomy() -> None:
        pool = await create_pool(database_url(url, TEMPLATE), min_size=1, max_size=1)
        try:
            await taxonomy.load(pool)
        finally:
            await pool.close()

    asyncio.run(recreate())
    upgrade(database_url(url, TEMPLATE))
    asyncio.run(load_taxonomy())
    return url


async def _admin(admin_url: str, statement: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def clone_template(admin_url: str, name: str, strategy: str) -> str:
    """A new database cloned from the migrated template; returns its URL."""
    await _admin(admin_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY {strategy}")
    return database_url(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    await _admin(admin_url, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
async def database(servers: tuple[str, str], clone_strategy: str) -> AsyncIterator[str]:
    """A fresh database for one test, cloned from the migrated template."""
    name = f"test_{os.getpid()}_{next(_counter)}"
    yield await clone_template(servers[0], name, clone_strategy)
    await drop_database(servers[0], name)


@pytest.fixture
def settings(database: str, servers: tuple[str, str], tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=database, redis_url=servers[1],
                    redis_prefix=f"test:{uuid.uuid4().hex[:12]}:", data_dir=tmp_path,
                    token_secret=TEST_SECRET, db_pool_min=1, db_pool_max=4, taxonomy_dense=False)


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    assert settings.database_url is not None
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@dataclass
class Actor:
    """A user with a credential, for calling the API as that user."""

    principal: Principal
    credential: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}


@pytest.fixture
def make_actor(pool: asyncpg.Pool, settings: Settings) -> Any:
    config = users.TokenConfig(TEST_SECRET, dt.timedelta(hours=1))

    async def make(role: Role, *, jobcentre: int | None = None, employer: uuid.UUID | None = None,
                   api_key: bool = False) -> Actor:
        async with pool.acquire() as conn:
            principal = await users.create_user(conn, name=f"{role.value} test", role=role,
                                                jobcentre_code=jobcentre, employer_id=employer)
            if api_key:
                return Actor(principal, await users.create_api_key(conn, principal))
        return Actor(principal, users.issue_token(principal, config))

    return make


@pytest.fixture
def count_rows(pool: asyncpg.Pool) -> Any:
    """Count a table's rows (optionally with a WHERE clause), to prove what a request did not store."""

    async def count(table: str, where: str = "TRUE", *args: Any) -> int:
        async with pool.acquire() as conn:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args))

    return count


@pytest.fixture
def cli_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The command line pointed at the test's database and Redis, as an operator would configure it."""
    assert settings.database_url is not None and settings.redis_url is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BROBYGGER_ENVIRONMENT", "test")
    monkeypatch.setenv("BROBYGGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BROBYGGER_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("BROBYGGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BROBYGGER_TOKEN_SECRET", settings.token_secret.get_secret_value())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
