"""Bad batch-run requests get a 4xx naming the field; the CSV export opens with the csv module."""

import csv
import datetime as dt
import io
from typing import Any

import asyncpg
import pytest

from batch import service
from batch.export import COLUMNS
from core.config import Settings
from core.vocab import Role
from tests.batch.conftest import OTHER_JOBCENTRE, Jobcentre, populate, run_steps
from tests.factories import error_fields


def _week(weeks_from_now: int) -> str:
    return service.week_of(service.today_in_copenhagen() + dt.timedelta(weeks=weeks_from_now))


@pytest.mark.parametrize(("body", "field"), [
    ({"jobcentre": 998}, "jobcentre"),
    ({"jobcentre": 40000}, "jobcentre"),
    ({"week": "2026-48"}, "week"),
    ({"week": "2026-W54"}, "week"),
    ({"week": "2025-W53"}, "week"),  # 2025 has 52 ISO weeks
    ({"week": _week(-5)}, "week"),
    ({"week": _week(3)}, "week"),
    ({"k": 0}, "k"),
    ({"k": 21}, "k"),
    ({"c": 0.5}, "c"),
    ({"c": 11}, "c"),
    ({"force": "maybe"}, "force"),
    ({"shard_size": 10}, "shard_size"),
])
async def test_bad_input_is_a_422_naming_the_field(jobcentre: Jobcentre, body: dict[str, Any], field: str,
                                                   count_rows: Any) -> None:
    response = await jobcentre.request(**body)
    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert await count_rows("batch_runs") == 0


async def test_four_weeks_back_is_still_allowed(jobcentre: Jobcentre) -> None:
    response = await jobcentre.request(week=_week(-4))
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.EMPLOYER, Role.JOBCENTRE_ADMIN])
async def test_only_the_jobcentres_own_admin_may_start_a_run(jobcentre: Jobcentre, make_actor: Any, role: Role,
                                                             count_rows: Any) -> None:
    if role is Role.EMPLOYER:
        employer = await jobcentre.employer()
        actor = await make_actor(role, employer=employer["id"])
    elif role is Role.JOBCENTRE_ADMIN:
        actor = await make_actor(role, jobcentre=OTHER_JOBCENTRE)
    else:
        actor = jobcentre.consultants[0]
    response = await jobcentre.request(actor)
    assert response.status_code == 403, response.text
    assert await count_rows("batch_runs") == 0
    admin = await make_actor(Role.ADMIN)
    assert (await jobcentre.request(admin)).status_code == 202


async def test_unknown_run_is_404(jobcentre: Jobcentre) -> None:
    response = await jobcentre.get("00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


async def test_csv_export_has_a_bom_danish_columns_and_one_row_per_suggestion(
        jobcentre: Jobcentre, pool: asyncpg.Pool, settings: Settings) -> None:
    await populate(jobcentre, citizens=3, employers=2, slots=2)
    run = await jobcentre.run()
    await run_steps(pool, settings, run)
    items = await jobcentre.suggestions(run["id"])
    consultant = jobcentre.consultants[0]

    response = await jobcentre.client.get(f"/v1/batch-runs/{run['id']}/export.csv", headers=consultant.headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"-{run['week']}.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == COLUMNS
    assert {(row["Borger-id"], int(row["Rang"])) for row in rows} == {(i["citizen_id"], i["rank"]) for i in items}
    first = next(row for row in rows if row["Borger-id"] == items[0]["citizen_id"] and row["Rang"] == "1")
    assert first["Uge"] == run["week"] and first["Ordning"] in {"virksomhedspraktik", "ordinært job"}
    assert "," in first["Score"] and first["Begrundelse"]
    assert first["Konsulent"] == "consultant test"

    own = await jobcentre.client.get(f"/v1/batch-runs/{run['id']}/export.csv", headers=consultant.headers,
                                     params={"consultant": str(consultant.principal.user_id), "separator": "comma"})
    own_rows = list(csv.DictReader(io.StringIO(own.content.decode("utf-8-sig")), delimiter=","))
    mine = [item for item in items if item["consultant_id"] == str(consultant.principal.user_id)]
    assert len(own_rows) == len(mine) > 0 and "." in own_rows[0]["Score"]
