"""Pages for employers: the company profile and what it can offer, and its openings (post, edit, pause,
close). Employers see only their own employer and openings, and never any citizen data."""

import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from api.deps import Conn, NormaliserDep, encode_after_commit
from core.errors import Conflict, InvalidInput
from core.vocab import OpeningStatus, PhysicalDemands, Scheme, WorkCondition
from employers import service as employers
from employers.schemas import Employer, EmployerUpdate, Opening, OpeningCreate, OpeningSkill, OpeningUpdate
from users.schemas import Principal
from web import labels
from web.deps import EmployerUser, Form, WebRoute, redirect
from web.forms import FormState, attempt, checked, choices, lines, optional, text, values_of
from web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

OPENINGS_SHOWN = 200
NOTICES = {
    "profil": "Profilen er gemt.",
    "oprettet": "Opslaget er oprettet.",
    "gemt": "Opslaget er gemt.",
    **{f"status-{status.value}": f"Opslaget er nu: {label.lower()}." for status, label in [
        (OpeningStatus.OPEN, "Åbent"), (OpeningStatus.PAUSED, "Sat på pause"), (OpeningStatus.FILLED, "Besat"),
        (OpeningStatus.CLOSED, "Lukket")]},
}
OFFER_FLAGS = ("mentor", "reduced_hours", "flexible_hours", "gradual_start")
SCHEME_OPTIONS = [(scheme.value, labels.SCHEMES[scheme.value]) for scheme in Scheme]
DEMAND_OPTIONS = [(value.value, labels.PHYSICAL_DEMANDS[value]) for value in PhysicalDemands]
CONDITION_OPTIONS = [(value.value, labels.WORK_CONDITIONS[value]) for value in WorkCondition]


def _employer_id(principal: Principal) -> uuid.UUID:
    assert principal.employer_id is not None  # the database requires it for the employer role
    return principal.employer_id


# ---------------------------------------------------------------------------------------------------
# Profile


def _profile_values(employer: Employer) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": employer.name, "address": employer.address or "", "postcode": employer.postcode,
        "industry": employer.industry or "", "description": employer.description,
        "schemes": [scheme.value for scheme in employer.schemes], "capacity": str(employer.capacity),
        "available_from": employer.available_from.isoformat() if employer.available_from else "",
        "offers.physical_demands": employer.offers.physical_demands.value,
        "contact.name": employer.contact.name if employer.contact else "",
        "contact.email": (employer.contact.email or "") if employer.contact else "",
        "contact.phone": (employer.contact.phone or "") if employer.contact else "",
    }
    values.update({f"offers.{flag}": "on" for flag in OFFER_FLAGS if getattr(employer.offers, flag)})
    return values


def _profile_patch(form: FormData, current: Employer) -> dict[str, Any]:
    contact = {"name": optional(form, "contact.name"), "email": optional(form, "contact.email"),
               "phone": optional(form, "contact.phone")}
    return {
        "name": text(form, "name"), "address": optional(form, "address"), "postcode": text(form, "postcode"),
        "industry": optional(form, "industry"), "description": text(form, "description"),
        "schemes": choices(form, "schemes"), "capacity": text(form, "capacity"),
        "available_from": optional(form, "available_from"),
        "contact": contact if any(contact.values()) else None,
        "offers": {**{flag: checked(form, f"offers.{flag}") for flag in OFFER_FLAGS},
                   "physical_demands": text(form, "offers.physical_demands"),
                   "accommodations": current.offers.accommodations},
    }


def _profile_page(request: Request, employer: Employer, form: FormState, notice: str | None = None, *,
                  status_code: int = 200) -> Response:
    return render(request, "employer/profile.html", {
        "title": "Virksomhedsprofil", "employer": employer, "form": form, "notice": notice,
        "scheme_options": SCHEME_OPTIONS, "demand_options": DEMAND_OPTIONS}, status_code=status_code)


@router.get("/virksomhed")
async def profile(request: Request, conn: Conn, principal: EmployerUser) -> Response:
    employer = await employers.get_employer(conn, principal, _employer_id(principal))
    notice = NOTICES.get(request.query_params.get("besked", ""))
    return _profile_page(request, employer, FormState(values=_profile_values(employer)), notice)


@router.post("/virksomhed")
async def save_profile(request: Request, conn: Conn, principal: EmployerUser, form: Form,
                       background: BackgroundTasks) -> Response:
    employer = await employers.get_employer(conn, principal, _employer_id(principal))
    state = FormState(values=values_of(form))
    state.values["schemes"] = choices(form, "schemes")
    try:
        patch = EmployerUpdate.model_validate(_profile_patch(form, employer))
        await attempt(conn, employers.update_employer(conn, principal, employer.id, patch))
    except ValidationError as error:
        state.add_validation(error)
    except (InvalidInput, Conflict) as error:
        state.add_domain(error)
    if not state.ok:
        return _profile_page(request, employer, state, status_code=422)
    encode_after_commit(request, background, "employer")
    return redirect("/virksomhed?besked=profil")


# ---------------------------------------------------------------------------------------------------
# Openings


@router.get("/virksomhed/opslag")
async def openings(request: Request, conn: Conn, principal: EmployerUser) -> Response:
    page = await employers.list_openings(conn, principal, after=None, limit=OPENINGS_SHOWN,
                                         employer_id=_employer_id(principal), status=None)
    return render(request, "employer/openings.html", {
        "title": "Opslag", "openings": page.items, "more": page.next_cursor is not None,
        "notice": NOTICES.get(request.query_params.get("besked", ""))})


def _opening_values(opening: Opening) -> dict[str, Any]:
    return {
        "title": opening.title, "description": opening.description,
        "schemes": [scheme.value for scheme in opening.schemes], "hours_min": str(opening.hours_min),
        "hours_max": str(opening.hours_max), "slots": str(opening.slots), "postcode": opening.postcode,
        "physical_demands": opening.physical_demands.value,
        "work_conditions": [condition.value for condition in opening.work_conditions],
        "start_date": opening.start_date.isoformat() if opening.start_date else "",
        "expires_on": opening.expires_on.isoformat() if opening.expires_on else "",
        "skills": "\n".join(skill.text for skill in opening.skills if skill.text),
    }


def _skills(form: FormData, current: Opening | None) -> list[dict[str, Any]]:
    """Skills from the text lines; a line naming a stored skill keeps it (with its ESCO code), and stored
    skills without a text (codes only, e.g. from an import) are kept."""
    stored: list[OpeningSkill] = current.skills if current else []
    by_text = {skill.text.casefold(): skill for skill in stored if skill.text}
    kept = [skill.model_dump(exclude_none=True) for skill in stored if not skill.text]
    for line in lines(form, "skills"):
        match = by_text.get(line.casefold())
        kept.append(match.model_dump(exclude_none=True) if match else {"text": line, "essential": True})
    return kept


def _opening_fields(form: FormData, current: Opening | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": text(form, "title"), "description": text(form, "description"),
        "schemes": choices(form, "schemes"), "hours_min": text(form, "hours_min"),
        "hours_max": text(form, "hours_max"), "slots": text(form, "slots"),
        "postcode": optional(form, "postcode"), "physical_demands": optional(form, "physical_demands"),
        "work_conditions": choices(form, "work_conditions"), "start_date": optional(form, "start_date"),
        "expires_on": optional(form, "expires_on"), "skills": _skills(form, current),
    }
    return fields


def _opening_form_page(request: Request, form: FormState, opening: Opening | None, *,
                       status_code: int = 200, notice: str | None = None) -> Response:
    return render(request, "employer/opening_form.html", {
        "title": f"Opslag: {opening.title}" if opening else "Nyt opslag", "opening": opening, "form": form,
        "notice": notice,
        "scheme_options": SCHEME_OPTIONS, "demand_options": DEMAND_OPTIONS, "condition_options": CONDITION_OPTIONS,
        "status_options": [status for status in OpeningStatus if opening and status != opening.status]},
        status_code=status_code)


def _form_state(form: FormData) -> FormState:
    state = FormState(values=values_of(form))
    for name in ("schemes", "work_conditions"):
        state.values[name] = choices(form, name)
    return state


@router.get("/virksomhed/opslag/nyt")
async def new_opening(request: Request, principal: EmployerUser) -> Response:
    defaults = {"hours_min": "37", "hours_max": "37", "slots": "1", "schemes": [], "work_conditions": []}
    return _opening_form_page(request, FormState(values=defaults), None)


@router.post("/virksomhed/opslag/nyt")
async def create_opening(request: Request, conn: Conn, principal: EmployerUser, form: Form,
                         normaliser: NormaliserDep, background: BackgroundTasks) -> Response:
    state = _form_state(form)
    fields = {key: value for key, value in _opening_fields(form, None).items() if value is not None}
    try:
        data = OpeningCreate.model_validate(fields)
        opening = await attempt(conn, employers.create_opening(conn, principal, _employer_id(principal), data,
                                                               normaliser))
    except ValidationError as error:
        state.add_validation(error)
    except (InvalidInput, Conflict) as error:
        state.add_domain(error)
    if not state.ok:
        return _opening_form_page(request, state, None, status_code=422)
    encode_after_commit(request, background, "opening")
    return redirect(f"/virksomhed/opslag/{opening.id}?besked=oprettet")


@router.get("/virksomhed/opslag/{opening_id}")
async def edit_opening(request: Request, conn: Conn, principal: EmployerUser, opening_id: uuid.UUID) -> Response:
    opening = await employers.get_opening(conn, principal, opening_id)
    return _opening_form_page(request, FormState(values=_opening_values(opening)), opening,
                              notice=NOTICES.get(request.query_params.get("besked", "")))


@router.post("/virksomhed/opslag/{opening_id}")
async def save_opening(request: Request, conn: Conn, principal: EmployerUser, form: Form, opening_id: uuid.UUID,
                       normaliser: NormaliserDep, background: BackgroundTasks) -> Response:
    opening = await employers.get_opening(conn, principal, opening_id)
    state = _form_state(form)
    try:
        patch = OpeningUpdate.model_validate(_opening_fields(form, opening))
        await attempt(conn, employers.update_opening(conn, principal, opening_id, patch, normaliser))
    except ValidationError as error:
        state.add_validation(error)
    except (InvalidInput, Conflict) as error:
        state.add_domain(error)
    if not state.ok:
        return _opening_form_page(request, state, opening, status_code=422)
    encode_after_commit(request, background, "opening")
    return redirect(f"/virksomhed/opslag/{opening_id}?besked=gemt")


@router.post("/virksomhed/opslag/{opening_id}/status")
async def change_status(request: Request, conn: Conn, principal: EmployerUser, form: Form, opening_id: uuid.UUID,
                        normaliser: NormaliserDep) -> Response:
    """Pause, reopen, mark as filled or close: a change of status only."""
    opening = await employers.get_opening(conn, principal, opening_id)
    try:
        patch = OpeningUpdate.model_validate({"status": text(form, "status")})
        await attempt(conn, employers.update_opening(conn, principal, opening_id, patch, normaliser))
    except ValidationError:
        state = FormState(values=_opening_values(opening), message="Vælg en af statusknapperne.")
        return _opening_form_page(request, state, opening, status_code=422)
    return redirect(f"/virksomhed/opslag?besked=status-{patch.status}")
