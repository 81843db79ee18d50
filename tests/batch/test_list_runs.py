"""Listing a jobcentre's runs: the latest week first, for its own staff and for admins only."""

import uuid

import asyncpg
import pytest

from batch import service
from batch.schemas import BatchRunCreate
from core.errors import Forbidden
from core.vocab import Role
from employers import service as employers
from employers.schemas import EmployerCreate
from tests.batch.conftest import JOBCENTRE, OTHER_JOBCENTRE, THIS_WEEK
from tests.factories import employer_body
from users import service as users
from users.schemas import OPERATOR


async def test_runs_are_listed_latest_week_first_for_the_jobcentres_staff_and_admins(pool: asyncpg.Pool) -> None:
    today = service.today_in_copenhagen()
    last_week = service.week_of(today.fromordinal(today.toordinal() - 7))
    async with pool.acquire() as conn:
        admin = await users.create_user(conn, name="Leder", role=Role.JOBCENTRE_ADMIN, jobcentre_code=JOBCENTRE)
        for week in (last_week, THIS_WEEK):
            await service.request_run(conn, admin, BatchRunCreate(jobcentre=JOBCENTRE, week=week), today=today)
        consultant = await users.create_user(conn, name="K", role=Role.CONSULTANT, jobcentre_code=JOBCENTRE)
        operator = await users.create_user(conn, name="Drift", role=Role.ADMIN)
        for reader in (admin, consultant, operator):
            runs = await service.list_runs(conn, reader, JOBCENTRE)
            assert [run.week for run in runs] == [THIS_WEEK, last_week]
        assert await service.list_runs(conn, admin, JOBCENTRE, limit=1) == runs[:1]
        outsider = await users.create_user(conn, name="Aarhus", role=Role.JOBCENTRE_ADMIN,
                                           jobcentre_code=OTHER_JOBCENTRE)
        assert await service.list_runs(conn, outsider, OTHER_JOBCENTRE) == []
        for refused in (outsider, await users.create_user(conn, name="Lager", role=Role.EMPLOYER,
                                                          employer_id=await _employer(conn))):
            with pytest.raises(Forbidden):
                await service.list_runs(conn, refused, JOBCENTRE)


async def _employer(conn: asyncpg.Connection) -> uuid.UUID:
    return (await employers.create_employer(conn, OPERATOR, EmployerCreate.model_validate(employer_body()))).id
