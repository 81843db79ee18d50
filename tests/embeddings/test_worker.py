"""`brobygger worker` and `brobygger encode` (api/worker.py) against the test's servers."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from api.worker import encode
from core.config import Settings, get_settings
from embeddings.schemas import EntityKind
from tests.embeddings.conftest import ENCODER, Entities

ROOT = Path(__file__).resolve().parents[2]
ENCODABLE = 7


def _environment(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None and settings.redis_url is not None
    return {"BROBYGGER_DATABASE_URL": settings.database_url, "BROBYGGER_REDIS_URL": settings.redis_url,
            "BROBYGGER_REDIS_PREFIX": settings.redis_prefix, "BROBYGGER_ENCODER": ENCODER,
            "BROBYGGER_DATA_DIR": str(settings.data_dir)}


async def _vector_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM text_vectors")
        return count
    finally:
        await conn.close()


def test_encode_command_encodes_the_kinds_asked_for(
        entities: Entities, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert settings.database_url is not None
    for name, value in _environment(settings).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        encode(kinds=[EntityKind.OPENING], encoder=None, prune=True)
    finally:
        get_settings.cache_clear()

    assert asyncio.run(_vector_count(settings.database_url)) == 3
    assert "opening" in capsys.readouterr().err


def test_worker_command_catches_up_and_stops_on_sigterm(entities: Entities, settings: Settings) -> None:
    assert settings.database_url is not None
    process = subprocess.Popen(
        [sys.executable, "-c", "from api.worker import worker; worker(processes=1, threads=1)"],
        cwd=ROOT, env={**os.environ, **_environment(settings)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while asyncio.run(_vector_count(settings.database_url)) < ENCODABLE:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the worker did not encode the entities in time"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, output
    assert asyncio.run(_vector_count(settings.database_url)) == ENCODABLE
