"""Pages for the weekly batch match: jobcentre admins start a run, follow it and read its summary;
consultants read the week's list for their own citizens and download it as CSV."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.deps import Conn
from batch import service as batch
from batch import tasks
from batch.export import Separator
from batch.schemas import DEFAULT_C, DEFAULT_K, BatchRun, BatchRunCreate, BatchSuggestion, RunState
from core.errors import Conflict, InvalidInput, NotFound
from core.pagination import MAX_PAGE_SIZE
from core.vocab import Role
from users.schemas import Principal
from web.deps import BatchAdmin, Form, JobcentreStaff, WebRoute, redirect
from web.forms import FormState, attempt, checked, text
from web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

RUNS_SHOWN = 20
# The weekly list shows at most this many suggestions; the CSV always has them all.
WEEKLY_LIST_LIMIT = 1000
NOTICES = {"startet": "Kørslen er startet.",
           "genbrugt": "Ugen har allerede en kørsel; her er den. Sæt flueben i »Kør igen« for at starte forfra."}


def _jobcentre_of(principal: Principal, chosen: str | None) -> int | None:
    """Staff work with their own jobcentre; an admin picks one by kommune code."""
    if principal.role is not Role.ADMIN:
        return principal.jobcentre_code
    return int(chosen) if chosen and chosen.isdigit() and 100 <= int(chosen) <= 999 else None


def _runs_page(request: Request, principal: Principal, jobcentre: int | None, runs: list[BatchRun],
               form: FormState, *, status_code: int = 200) -> Response:
    return render(request, "batch/runs.html", {
        "title": "Ugentlige kørsler", "jobcentre": jobcentre, "runs": runs, "form": form,
        "is_admin": principal.role is Role.ADMIN}, status_code=status_code)


@router.get("/jobcenter/koersler")
async def runs_page(request: Request, conn: Conn, principal: BatchAdmin,
                    chosen: Annotated[str | None, Query(alias="jobcenter")] = None) -> Response:
    jobcentre = _jobcentre_of(principal, chosen)
    runs = await batch.list_runs(conn, principal, jobcentre, limit=RUNS_SHOWN) if jobcentre else []
    form = FormState(values={"jobcentre": str(jobcentre or ""), "week": batch.week_of(batch.today_in_copenhagen()),
                             "k": str(DEFAULT_K), "c": str(DEFAULT_C).replace(".", ",")})
    return _runs_page(request, principal, jobcentre, runs, form)


@router.post("/jobcenter/koersler")
async def start_run(request: Request, conn: Conn, principal: BatchAdmin, form: Form,
                    background: BackgroundTasks) -> Response:
    """Start (or find) the week's run through batch.service, which decides who may and what happens."""
    jobcentre = _jobcentre_of(principal, text(form, "jobcentre"))
    state = FormState(values={name: text(form, name) for name in ("jobcentre", "week", "k", "c")})
    state.values["force"] = "on" if checked(form, "force") else ""
    if jobcentre is None:
        state.add("jobcentre", "Skriv en kommunekode med 3 cifre, fx 101.")
    else:
        try:
            body = BatchRunCreate.model_validate({
                "jobcentre": jobcentre, "week": state.values["week"], "k": state.values["k"],
                "c": state.values["c"].replace(",", "."), "force": checked(form, "force")})
            run, steps = await attempt(conn, batch.request_run(conn, principal, body,
                                                               today=batch.today_in_copenhagen()))
        except ValidationError as error:
            state.add_validation(error)
        except (InvalidInput, Conflict) as error:
            state.add_domain(error)
    if not state.ok:
        runs = await batch.list_runs(conn, principal, jobcentre, limit=RUNS_SHOWN) if jobcentre else []
        return _runs_page(request, principal, jobcentre, runs, state, status_code=422)
    background.add_task(tasks.send_after_commit, steps)  # background tasks run after the commit
    return redirect(f"/jobcenter/koersler/{run.id}?besked={'genbrugt' if run.reused else 'startet'}")


@router.get("/jobcenter/koersler/{run_id}")
async def run_page(request: Request, conn: Conn, principal: BatchAdmin, run_id: uuid.UUID,
                   notice: Annotated[str | None, Query(alias="besked")] = None) -> Response:
    run = await batch.get_run(conn, principal, run_id)
    return render(request, "batch/run.html", {
        "title": f"Kørsel for uge {run.week}", "run": run, "notice": NOTICES.get(notice or ""),
        "live": run.state in (RunState.QUEUED, RunState.RUNNING)})


def _csv(name: str, content: str) -> Response:
    return Response(content=content.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/jobcenter/koersler/{run_id}/eksport.csv")
async def run_csv(conn: Conn, principal: BatchAdmin, run_id: uuid.UUID) -> Response:
    name, content = await batch.export_csv(conn, principal, run_id, consultant_id=None,
                                           separator=Separator.SEMICOLON)
    return _csv(name, content)


# ---------------------------------------------------------------------------------------------------
# The consultant's weekly list


async def _all_suggestions(conn: Conn, principal: Principal, run_id: uuid.UUID,
                           consultant_id: uuid.UUID | None) -> tuple[list[BatchSuggestion], bool]:
    items: list[BatchSuggestion] = []
    after: uuid.UUID | None = None
    while len(items) < WEEKLY_LIST_LIMIT:
        page = await batch.list_suggestions(conn, principal, run_id, consultant_id=consultant_id, after=after,
                                            limit=MAX_PAGE_SIZE)
        items += page.items
        if page.next_cursor is None or not page.items:
            return items, False
        after = page.items[-1].id
    return items[:WEEKLY_LIST_LIMIT], True


@router.get("/konsulent/ugeliste")
async def weekly_list(request: Request, conn: Conn, principal: JobcentreStaff,
                      chosen: Annotated[uuid.UUID | None, Query(alias="koersel")] = None,
                      everyone: Annotated[str | None, Query(alias="alle")] = None) -> Response:
    """The latest finished run (or a chosen one) of the jobcentre, for the consultant's own citizens."""
    assert principal.jobcentre_code is not None
    runs = [run for run in await batch.list_runs(conn, principal, principal.jobcentre_code, limit=RUNS_SHOWN)
            if run.state is RunState.DONE]
    run = next((item for item in runs if item.id == chosen), None) if chosen else (runs[0] if runs else None)
    if chosen and run is None:
        raise NotFound(f"no finished batch run {chosen}")
    items: list[BatchSuggestion] = []
    truncated = False
    if run is not None:
        items, truncated = await _all_suggestions(conn, principal, run.id, None if everyone else principal.user_id)
    items.sort(key=lambda item: (item.citizen_reference, item.rank))
    return render(request, "batch/weekly.html", {
        "title": "Ugeliste", "run": run, "runs": runs, "items": items, "truncated": truncated,
        "everyone": bool(everyone), "limit": WEEKLY_LIST_LIMIT})


@router.get("/konsulent/ugeliste/{run_id}.csv")
async def weekly_csv(conn: Conn, principal: JobcentreStaff, run_id: uuid.UUID,
                     everyone: Annotated[str | None, Query(alias="alle")] = None) -> Response:
    name, content = await batch.export_csv(conn, principal, run_id,
                                           consultant_id=None if everyone else principal.user_id,
                                           separator=Separator.SEMICOLON)
    return _csv(name, content)
