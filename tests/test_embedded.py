"""The embedded PostgreSQL server of development and demos: tuned to the machine on first start."""

import os
import tempfile
from pathlib import Path

import asyncpg

from core.embedded import EmbeddedPostgres


async def test_a_persistent_embedded_server_gets_shared_buffers_for_the_machine() -> None:
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    expected_mb = max(128, min(1024, memory_mb // 8))
    # A short path: the server's unix socket lives under it.
    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        data_dir = Path(directory)
        for _ in range(2):  # the second start finds the setting in place and does not restart
            with EmbeddedPostgres(data_dir) as postgres:
                conn = await asyncpg.connect(postgres.start())
                try:
                    blocks = await conn.fetchval(
                        "SELECT setting::bigint FROM pg_settings WHERE name = 'shared_buffers'")
                finally:
                    await conn.close()
            assert blocks * 8 // 1024 == expected_mb
