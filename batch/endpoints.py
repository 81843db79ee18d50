"""HTTP routes for weekly batch runs: start one, follow it, page or export its suggestions; schedules."""

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Path, Query, Response, status

from api.deps import Caller, Conn
from api.errors import responses
from batch import service, tasks
from batch.export import Separator
from batch.schemas import BatchRun, BatchRunCreate, BatchSuggestion, Schedule, ScheduleUpdate
from core.pagination import MAX_PAGE_SIZE, decode_cursor
from core.schemas import Page

router = APIRouter(prefix="/v1", tags=["batch"])

RUN_EXAMPLE = {"jobcentre": 101, "week": "2026-W48", "k": 3, "c": 3, "force": False}
Jobcentre = Annotated[int, Path(ge=100, le=999, description="Kommune code of the jobcentre.")]
SCHEDULE_EXAMPLE = {"weekday": "mon", "time": "06:00", "k": 3, "c": 3, "enabled": True}


@router.post("/batch-runs", response_model=BatchRun, status_code=status.HTTP_202_ACCEPTED,
             responses={**responses(401, 403, 409, 422), 200: {"model": BatchRun, "description": (
                 "The jobcentre already has a run for the week and `force` was not given: that run, unchanged "
                 "(`reused: true`)")}},
             summary="Start the weekly batch match for a jobcentre")
async def create_run(conn: Conn, caller: Caller, background: BackgroundTasks, response: Response,
                     body: Annotated[BatchRunCreate, Body(examples=[RUN_EXAMPLE])]) -> BatchRun:
    """Jobcentre admins (for their own jobcentre) and admins. A run is unique per jobcentre and ISO week:
    asking again returns the existing run (200) unless `force` is true, which starts it again once it is
    done or failed (409 while it is queued or running). The week may be at most 4 weeks back and 2 ahead.
    Up to `k` suggestions per citizen; no opening or employer gets more than `c` × its free slots in the
    week, counting other jobcentres' runs. Follow the run with `GET /v1/batch-runs/{id}`."""
    run, steps = await service.request_run(conn, caller, body, today=service.today_in_copenhagen())
    if run.reused:
        response.status_code = status.HTTP_200_OK
    background.add_task(tasks.send_after_commit, steps)  # background tasks run after the commit
    return run


@router.get("/batch-runs/{run_id}", response_model=BatchRun, responses=responses(401, 403, 404, 422),
            summary="A batch run's state, progress, timings and report")
async def get_run(conn: Conn, caller: Caller, run_id: uuid.UUID) -> BatchRun:
    """State (queued → running → done / failed), progress in steps (scoring shards, the assignment,
    explaining shards), seconds per stage, the reason if it failed, and when done the report: the
    capacity-aware assignment against plain per-citizen top-k on the same candidates. Staff of the
    run's jobcentre only."""
    return await service.get_run(conn, caller, run_id)


@router.get("/batch-runs/{run_id}/suggestions", response_model=Page[BatchSuggestion],
            responses=responses(401, 403, 404, 409, 422), summary="The suggestions of a finished batch run")
async def run_suggestions(
    conn: Conn, caller: Caller, run_id: uuid.UUID,
    consultant: Annotated[uuid.UUID | None, Query(description="Only the citizens of this consultant.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
) -> Page[BatchSuggestion]:
    """Each suggestion with its rank for the citizen, score, explanation, reasons and caveats (Danish)
    and the model version. Only a done run has suggestions (409 otherwise: partial results are never
    shown). Reading them is audited per citizen."""
    return await service.list_suggestions(conn, caller, run_id, consultant_id=consultant,
                                          after=decode_cursor(cursor), limit=limit)


@router.get("/batch-runs/{run_id}/export.csv", response_class=Response,
            responses={**responses(401, 403, 404, 409, 422),
                       200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a byte-order mark"}},
            summary="The suggestions of a finished batch run as CSV for Excel")
async def export_run(
    conn: Conn, caller: Caller, run_id: uuid.UUID,
    consultant: Annotated[uuid.UUID | None, Query(description="Only the citizens of this consultant.")] = None,
    separator: Annotated[Separator, Query(description=(
        "semicolon (Danish Excel, decimal commas) or comma (decimal points)."))] = Separator.SEMICOLON,
) -> Response:
    """Danish column names (Uge, Konsulent, Borgerreference, Rang, Virksomhed, By, Stilling, Ordning, Score,
    Afstand (km), Begrundelse, Forbehold, Modelversion and ids), sorted by consultant, citizen and rank."""
    name, text = await service.export_csv(conn, caller, run_id, consultant_id=consultant, separator=separator)
    return Response(content=text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.put("/batch-schedules/{jobcentre}", response_model=Schedule, responses=responses(401, 403, 404, 422),
            summary="Set when a jobcentre's weekly batch run starts")
async def put_schedule(conn: Conn, caller: Caller, jobcentre: Jobcentre,
                       body: Annotated[ScheduleUpdate, Body(examples=[SCHEDULE_EXAMPLE])]) -> Schedule:
    """Weekday and time (Copenhagen) and the run's options. `brobygger scheduler` picks changes up within
    a minute and starts the week's run then (a no-op if the week already has one)."""
    return await service.put_schedule(conn, caller, jobcentre, body, dt.datetime.now(service.COPENHAGEN))


@router.get("/batch-schedules/{jobcentre}", response_model=Schedule, responses=responses(401, 403, 404, 422),
            summary="When a jobcentre's weekly batch run starts")
async def get_schedule(conn: Conn, caller: Caller, jobcentre: Jobcentre) -> Schedule:
    return await service.get_schedule(conn, caller, jobcentre, dt.datetime.now(service.COPENHAGEN))
