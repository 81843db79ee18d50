"""Property-based contract test: requests generated from the OpenAPI spec never get a 5xx.

Schemathesis calls the real app in-process (its ASGI client runs the app's lifespan, which opens the
pool) against one database for this module, as a consultant with a valid token.
"""

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from api.app import create_app
from core.config import Settings
from core.vocab import Role
from tests.conftest import TEST_SECRET, clone_template, drop_database
from tests.factories import VALID_CVRS
from users import service as users

MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
async def contract_database(servers: tuple[str, str], clone_strategy: str) -> AsyncIterator[str]:
    """One database for the whole run: Hypothesis calls each operation many times within one test."""
    name = f"contract_{os.getpid()}"
    yield await clone_template(servers[0], name, clone_strategy)
    asgi.shutdown_lifespans()  # closes the app's pool before the database goes
    await drop_database(servers[0], name)


@dataclass
class Seeded:
    """A consultant's token, and one stored record per path parameter for generated requests to hit."""

    token: str
    ids: dict[str, str]


@pytest.fixture(scope="module")
async def seeded(contract_database: str) -> Seeded:
    conn = await asyncpg.connect(contract_database)
    try:
        employer_id = await conn.fetchval(
            "INSERT INTO employers (cvr, name, postcode) VALUES ($1, 'Kontrakt ApS', '2200') RETURNING id",
            VALID_CVRS[0])
        opening_id = await conn.fetchval(
            """INSERT INTO openings (employer_id, title, schemes, hours_min, hours_max, slots, postcode,
                                     physical_demands)
               VALUES ($1, 'Lagermedarbejder', '{internship}', 20, 37, 1, '2200', 'medium') RETURNING id""",
            employer_id)
        citizen_id = await conn.fetchval(
            """INSERT INTO citizens (jobcentre_code, reference, postcode, target_group, max_commute_km, hours_min,
                                     hours_max, schemes)
               VALUES (101, 'CONTRACT-1', '2200', 'kontanthjaelp', 20, 10, 30, '{internship}') RETURNING id""")
        principal = await users.create_user(conn, name="contract consultant", role=Role.CONSULTANT,
                                            jobcentre_code=101)
    finally:
        await conn.close()
    token = users.issue_token(principal, users.TokenConfig(TEST_SECRET, dt.timedelta(hours=2)))
    return Seeded(token, {"employer_id": str(employer_id), "opening_id": str(opening_id),
                          "citizen_id": str(citizen_id)})


def contract_settings(database: str, redis: str, data_dir: Path) -> Settings:
    return Settings(environment="test", database_url=database, redis_url=redis, redis_prefix="contract:",
                    data_dir=data_dir, token_secret=TEST_SECRET, db_pool_min=1, db_pool_max=4,
                    taxonomy_dense=False)


@pytest.fixture(scope="module")
def app(contract_database: str, servers: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(contract_settings(contract_database, servers[1], tmp_path_factory.mktemp("contract")))


# The spec does not depend on the configuration: read it from an app that is never started.
schema = schemathesis.openapi.from_dict(
    create_app(contract_settings("postgresql://unused/unused", "redis://unused", Path("unused"))).openapi())
# Examples and fuzzing only: the coverage phase sends thousands of boundary cases, minutes on two cores.
schema.config.phases.coverage.enabled = False


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case, app: Any, seeded: Seeded) -> None:
    # Generated ids would nearly always be 404; well-formed ones point at stored records instead, so bodies
    # reach the service's merge and database checks. Malformed ids are left for the 422 path.
    for name, value in list((case.path_parameters or {}).items()):
        if name in seeded.ids and _is_uuid(value):
            case.path_parameters[name] = seeded.ids[name]

    response = case.call(app=app, base_url="http://testserver", headers={"Authorization": f"Bearer {seeded.token}"})

    case.validate_response(response, checks=[not_a_server_error])


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
