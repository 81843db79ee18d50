"""`brobygger serve --workers 2` runs two API processes, each building its app from the environment."""

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from core.config import Settings
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_serve_runs_several_api_processes(settings: Settings, tmp_path: Path) -> None:
    assert settings.database_url is not None and settings.redis_url is not None
    port = _free_port()
    environment = {**os.environ, "BROBYGGER_DATABASE_URL": settings.database_url,
                   "BROBYGGER_REDIS_URL": settings.redis_url, "BROBYGGER_REDIS_PREFIX": settings.redis_prefix,
                   "BROBYGGER_DATA_DIR": str(tmp_path), "BROBYGGER_ENVIRONMENT": "test",
                   "BROBYGGER_TOKEN_SECRET": TEST_SECRET, "BROBYGGER_TAXONOMY_DENSE": "false",
                   "BROBYGGER_LOG_LEVEL": "WARNING"}
    service = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port), "--workers", "2",
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        ready = None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(240):
                assert service.returncode is None, "the service exited"
                try:
                    ready = await client.get("/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.5)
            assert ready is not None and ready.status_code == 200
            answers = await asyncio.gather(*(client.get("/healthz") for _ in range(20)))
        assert {answer.status_code for answer in answers} == {200}
        servers = [child for child in psutil.Process(service.pid).children(recursive=True)
                   if "multiprocessing.resource_tracker" not in " ".join(child.cmdline())]
        assert len(servers) == 2, [child.cmdline() for child in servers]
    finally:
        service.terminate()
        await asyncio.wait_for(service.wait(), timeout=30)
