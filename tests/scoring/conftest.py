"""A small demo history (decisions and placements from the documented outcome process), imported once per
session into a template database; each test that needs it gets its own clone."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.config import Settings, get_settings
from core.db import create_pool
from core.importing import ImportKind, import_file
from demo.generator import generate
from tests.conftest import TEMPLATE, TEST_SECRET, database_url, drop_database
from users.schemas import OPERATOR

HISTORY_TEMPLATE = f"brobygger_history_{os.getpid()}"
HISTORY_CITIZENS = 700
HISTORY_EMPLOYERS = 60
HISTORY_SEED = 5


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def history_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-history")
    generate(out, jobcentres=(101, 751), citizens=HISTORY_CITIZENS, employers=HISTORY_EMPLOYERS, seed=HISTORY_SEED)
    return out


@pytest.fixture(scope="session")
def history_template(servers: tuple[str, str], history_dir: Path) -> Iterator[str]:
    """A database cloned from the migrated template with the demo history imported (once)."""
    admin = servers[0]

    async def build() -> None:
        await _admin(admin, f"DROP DATABASE IF EXISTS {HISTORY_TEMPLATE} WITH (FORCE)")
        await _admin(admin, f"CREATE DATABASE {HISTORY_TEMPLATE} TEMPLATE {TEMPLATE}")
        pool = await create_pool(database_url(admin, HISTORY_TEMPLATE), min_size=1, max_size=2)
        try:
            for kind in ImportKind:
                report = await import_file(pool, kind, history_dir / f"{kind.value}.jsonl", OPERATOR)
                assert not report.rejected, report.rejected[:3]
        finally:
            await pool.close()

    asyncio.run(build())
    yield HISTORY_TEMPLATE
    asyncio.run(_admin(admin, f"DROP DATABASE IF EXISTS {HISTORY_TEMPLATE} WITH (FORCE)"))


@pytest.fixture
async def history_database(servers: tuple[str, str], history_template: str, clone_strategy: str) -> AsyncIterator[str]:
    name = f"history_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await _admin(servers[0], f"CREATE DATABASE {name} TEMPLATE {history_template} STRATEGY {clone_strategy}")
    yield database_url(servers[0], name)
    await drop_database(servers[0], name)


@pytest.fixture
def history_settings(history_database: str, servers: tuple[str, str], tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=history_database, redis_url=servers[1],
                    redis_prefix=f"test:{uuid.uuid4().hex[:12]}:", data_dir=tmp_path, token_secret=TEST_SECRET,
                    db_pool_min=1, db_pool_max=4, taxonomy_dense=False)


@pytest.fixture
async def history_pool(history_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    assert history_settings.database_url is not None
    pool = await create_pool(history_settings.database_url, min_size=1, max_size=3)
    yield pool
    await pool.close()


@pytest.fixture
def history_cli(history_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    """The command line pointed at the history database, as an operator would configure it."""
    assert history_settings.database_url is not None and history_settings.redis_url is not None
    monkeypatch.chdir(tmp_path)
    for name, value in {"ENVIRONMENT": "test", "DATABASE_URL": history_settings.database_url,
                        "REDIS_URL": history_settings.redis_url, "REDIS_PREFIX": history_settings.redis_prefix,
                        "DATA_DIR": str(history_settings.data_dir), "TOKEN_SECRET": TEST_SECRET}.items():
        monkeypatch.setenv(f"BROBYGGER_{name}", value)
    get_settings.cache_clear()
    yield history_settings
    get_settings.cache_clear()


FAST: dict[str, Any] = {"max_iter": 60, "learning_rate": 0.15}
"""Hyperparameters that train in a second or two on the test history."""
