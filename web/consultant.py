"""Pages for consultants (and jobcentre admins): find a citizen, read and act on their suggestions, and
see the candidates for an opening. Scoped like the API: only the own jobcentre's citizens."""

import urllib.parse
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.deps import Conn, MatchEngine
from citizens import service as citizens
from citizens.schemas import Citizen
from core.errors import BrobyggerError, Conflict, InvalidInput
from core.pagination import decode_cursor
from core.vocab import Scheme
from employers import service as employers
from matching import service as matching
from matching.schemas import FeedbackCreate, RankedList
from users.schemas import Principal
from web.deps import Form, JobcentreStaff, WebRoute, redirect, safe_next
from web.forms import FormState, attempt, danish_message, optional, text
from web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 25
SUGGESTIONS_SHOWN = 20
NOTICES = {
    "kontaktet": "Forslaget er markeret som kontaktet.",
    "accepteret": "Forslaget er accepteret. Det vises ikke længere blandt borgerens forslag.",
    "afvist": "Forslaget er afvist. Det vises ikke længere blandt borgerens forslag.",
}
NOTICE_BY_STATE = {"contacted": "kontaktet", "accepted": "accepteret", "declined": "afvist"}


def _notice(code: str | None) -> str | None:
    return NOTICES.get(code or "")


# ---------------------------------------------------------------------------------------------------
# Citizens


@router.get("/konsulent/borgere")
async def citizen_search(
    request: Request, conn: Conn, principal: JobcentreStaff,
    reference: Annotated[str | None, Query(alias="reference")] = None,
    everyone: Annotated[str | None, Query(alias="alle")] = None,
    cursor: Annotated[str | None, Query(alias="side")] = None,
) -> Response:
    """Search by case reference, or page through the consultant's own (or all the jobcentre's) citizens."""
    form = FormState(values={"reference": (reference or "").strip()})
    searched = bool(form.values["reference"])
    if searched:
        page = await citizens.list_citizens(conn, principal, after=None, limit=PAGE_SIZE,
                                            reference_filter=form.values["reference"])
    else:
        page = await citizens.list_citizens(conn, principal, after=decode_cursor(cursor), limit=PAGE_SIZE,
                                            consultant_id=None if everyone else principal.user_id, active=True)
    return render(request, "consultant/citizens.html", {
        "title": "Borgere", "form": form, "searched": searched, "page": page, "everyone": bool(everyone)})


def _filters(citizen: Citizen, scheme: str | None, max_km: str | None) -> tuple[FormState, matching.MatchQuery]:
    """The suggestion filters as typed, checked against what the citizen can use."""
    form = FormState(values={"ordning": scheme or "", "km": (max_km or "").strip()})
    chosen: Scheme | None = None
    if scheme:
        if scheme not in {item.value for item in citizen.schemes}:
            form.add("ordning", "Borgeren kan ikke bruge den ordning.")
        else:
            chosen = Scheme(scheme)
    km: int | None = None
    if form.values["km"]:
        if not form.values["km"].isdigit():
            form.add("km", "Skriv et helt antal kilometer.")
        elif not 1 <= int(form.values["km"]) <= 300:
            form.add("km", "Skriv et tal fra 1 til 300.")
        else:
            km = int(form.values["km"])
    return form, matching.MatchQuery(scheme=chosen, max_km=km, limit=SUGGESTIONS_SHOWN)


@router.get("/konsulent/borgere/{citizen_id}")
async def citizen_page(
    request: Request, conn: Conn, principal: JobcentreStaff, engine: MatchEngine, citizen_id: uuid.UUID,
    scheme: Annotated[str | None, Query(alias="ordning")] = None,
    max_km: Annotated[str | None, Query(alias="km")] = None,
    notice: Annotated[str | None, Query(alias="besked")] = None,
) -> Response:
    citizen = await citizens.get(conn, principal, citizen_id)
    filters, query = _filters(citizen, scheme, max_km)
    ranked: RankedList | None = None
    problem: str | None = None
    if filters.ok:
        try:
            ranked = await attempt(conn, matching.suggestions_for_citizen(conn, principal, citizen_id, query, engine))
        except Conflict:
            problem = "Borgeren er ikke aktiv, så der laves ingen forslag."
        except InvalidInput as error:
            filters.add_domain(error, aliases={"scheme": "ordning"})
    return render(request, "consultant/citizen.html", {
        "title": f"Borger {citizen.reference}", "citizen": citizen, "filters": filters, "ranked": ranked,
        "problem": problem, "notice": _notice(notice), "max_km": query.max_km or citizen.max_commute_km,
        "back": request.url.path + (f"?{request.url.query}" if request.url.query else "")})


# ---------------------------------------------------------------------------------------------------
# Suggestions and feedback


async def _suggestion_context(conn: Conn, principal: Principal, suggestion_id: uuid.UUID) -> dict[str, Any]:
    suggestion = await matching.get_suggestion(conn, principal, suggestion_id)
    citizen = await citizens.get(conn, principal, suggestion.citizen_id)
    employer = await employers.get_employer(conn, principal, suggestion.employer_id)
    opening = (await employers.get_opening(conn, principal, suggestion.opening_id)
               if suggestion.opening_id else None)
    return {"title": f"Forslag til {citizen.reference}", "suggestion": suggestion, "citizen": citizen,
            "employer": employer, "opening": opening}


@router.get("/konsulent/forslag/{suggestion_id}")
async def suggestion_page(request: Request, conn: Conn, principal: JobcentreStaff, suggestion_id: uuid.UUID,
                          notice: Annotated[str | None, Query(alias="besked")] = None) -> Response:
    context = await _suggestion_context(conn, principal, suggestion_id)
    return render(request, "consultant/suggestion.html", {
        **context, "form": FormState(), "notice": _notice(notice), "back": request.url.path})


def _with_notice(path: str, code: str, anchor: str = "") -> str:
    parts = urllib.parse.urlsplit(path)
    query = [(key, value) for key, value in urllib.parse.parse_qsl(parts.query) if key != "besked"]
    query.append(("besked", code))
    return urllib.parse.urlunsplit(("", "", parts.path, urllib.parse.urlencode(query), anchor))


@router.post("/konsulent/forslag/{suggestion_id}/status")
async def record_feedback(request: Request, conn: Conn, principal: JobcentreStaff, form: Form,
                          suggestion_id: uuid.UUID) -> Response:
    """Contacted, accepted or declined, through matching.service (which enforces the state machine)."""
    state = FormState(values={"state": text(form, "state"), "reason_code": text(form, "reason_code"),
                              "note": text(form, "note")})
    back = safe_next(text(form, "tilbage"), f"/konsulent/forslag/{suggestion_id}")
    try:
        feedback = FeedbackCreate(state=state.values["state"], reason_code=optional(form, "reason_code"),
                                  note=optional(form, "note"))
    except ValidationError as error:
        state.add_validation(error)
    else:
        try:
            await attempt(conn, matching.record_feedback(conn, principal, suggestion_id, feedback))
        except (InvalidInput, Conflict) as error:
            state.add_domain(error)
    if state.ok:
        return redirect(_with_notice(back, NOTICE_BY_STATE[state.values["state"]]))
    if "reason_code" in state.errors and state.values["state"] == "declined" and not state.values["reason_code"]:
        state.errors["reason_code"] = "Vælg en begrundelse for afvisningen."
    context = await _suggestion_context(conn, principal, suggestion_id)
    return render(request, "consultant/suggestion.html", {
        **context, "form": state, "notice": None, "back": back}, status_code=422)


# ---------------------------------------------------------------------------------------------------
# Openings and their candidates


@router.get("/konsulent/opslag")
async def openings_page(request: Request, conn: Conn, principal: JobcentreStaff,
                        cursor: Annotated[str | None, Query(alias="side")] = None) -> Response:
    page = await employers.list_openings(conn, principal, after=decode_cursor(cursor), limit=PAGE_SIZE,
                                         employer_id=None, status="open")
    return render(request, "consultant/openings.html", {"title": "Opslag og kandidater", "page": page})


@router.get("/konsulent/opslag/{opening_id}")
async def candidates_page(
    request: Request, conn: Conn, principal: JobcentreStaff, engine: MatchEngine, opening_id: uuid.UUID,
    scheme: Annotated[str | None, Query(alias="ordning")] = None,
    notice: Annotated[str | None, Query(alias="besked")] = None,
) -> Response:
    opening = await employers.get_opening(conn, principal, opening_id)
    employer = await employers.get_employer(conn, principal, opening.employer_id)
    filters = FormState(values={"ordning": scheme or ""})
    chosen: Scheme | None = None
    if scheme:
        if scheme in {item.value for item in opening.schemes}:
            chosen = Scheme(scheme)
        else:
            filters.add("ordning", "Opslaget tilbyder ikke den ordning.")
    ranked: RankedList | None = None
    if filters.ok:
        try:
            ranked = await attempt(conn, matching.candidates_for_opening(
                conn, principal, opening_id, matching.MatchQuery(scheme=chosen, limit=SUGGESTIONS_SHOWN), engine))
        except BrobyggerError as error:
            if error.status_code == 404:
                raise
            filters.message = danish_message(error.detail)
    return render(request, "consultant/candidates.html", {
        "title": f"Kandidater til {opening.title}", "opening": opening, "employer": employer,
        "filters": filters, "ranked": ranked, "notice": _notice(notice)})
