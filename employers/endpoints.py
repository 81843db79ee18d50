"""HTTP routes for employers and openings: thin wrappers around employers.service."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Query, Request, status

from api.deps import Caller, Conn, NormaliserDep, encode_after_commit
from api.errors import responses
from core.pagination import MAX_PAGE_SIZE, decode_cursor
from core.schemas import Page, Postcode
from core.vocab import EmployerStatus, OpeningStatus
from employers import service
from employers.schemas import Employer, EmployerCreate, EmployerUpdate, Opening, OpeningCreate, OpeningUpdate

router = APIRouter(prefix="/v1", tags=["employers"])

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` from the previous page.")]

EMPLOYER_EXAMPLE = {
    "external_ref": "crm-4411", "cvr": "10150817", "name": "Hansen Lager & Logistik ApS", "industry": "521000",
    "address": "Industrivej 12", "postcode": "2650",
    "description": "Lager med 40 ansatte; vi tager gerne praktikanter.",
    "offers": {"mentor": True, "gradual_start": True, "physical_demands": "medium",
               "accommodations": ["quiet_break_room"]},
    "contact": {"name": "Mette Hansen", "email": "mette@example.dk"},
    "schemes": ["internship", "wage_subsidy", "ordinary"], "capacity": 2,
}
OPENING_EXAMPLE = {
    "title": "Lagermedarbejder", "description": "Pluk og pak af ordrer; truckcertifikat en fordel.",
    "occupation_uri": "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f",
    "skills": [{"text": "truckcertifikat", "essential": True}], "schemes": ["internship", "ordinary"],
    "hours_min": 20, "hours_max": 37, "slots": 2, "work_conditions": ["mostly_standing"],
}


@router.post("/employers", status_code=status.HTTP_201_CREATED, response_model=Employer,
             responses=responses(401, 403, 409, 422), summary="Register an employer")
async def create_employer(conn: Conn, caller: Caller, request: Request, background: BackgroundTasks,
                          body: Annotated[EmployerCreate, Body(examples=[EMPLOYER_EXAMPLE])]) -> Employer:
    """Jobcentre staff register employers; CVR must be valid and the postcode Danish."""
    employer = await service.create_employer(conn, caller, body)
    encode_after_commit(request, background, "employer")
    return employer


@router.get("/employers", response_model=Page[Employer], responses=responses(401, 422),
            summary="List employers")
async def list_employers(conn: Conn, caller: Caller, limit: Limit = 50, cursor: Cursor = None,
                         postcode: Postcode | None = None, status: EmployerStatus | None = None) -> Page[Employer]:
    """Staff see all employers; an employer sees only itself."""
    return await service.list_employers(conn, caller, after=decode_cursor(cursor), limit=limit,
                                        postcode=postcode, status=status)


@router.get("/employers/{employer_id}", response_model=Employer, responses=responses(401, 404, 422))
async def get_employer(conn: Conn, caller: Caller, employer_id: uuid.UUID) -> Employer:
    return await service.get_employer(conn, caller, employer_id)


@router.patch("/employers/{employer_id}", response_model=Employer, responses=responses(401, 404, 409, 422),
              summary="Change an employer's profile")
async def update_employer(conn: Conn, caller: Caller, request: Request, background: BackgroundTasks,
                          employer_id: uuid.UUID, body: EmployerUpdate) -> Employer:
    """Only the fields sent change; the result is validated as a whole (e.g. paused_until needs status paused)."""
    employer = await service.update_employer(conn, caller, employer_id, body)
    encode_after_commit(request, background, "employer")
    return employer


@router.post("/employers/{employer_id}/openings", status_code=status.HTTP_201_CREATED, response_model=Opening,
             responses=responses(401, 404, 409, 422), summary="Post an opening", tags=["openings"])
async def create_opening(conn: Conn, caller: Caller, normaliser: NormaliserDep, request: Request,
                         background: BackgroundTasks, employer_id: uuid.UUID,
                         body: Annotated[OpeningCreate, Body(examples=[OPENING_EXAMPLE])]) -> Opening:
    """Postcode and physical demands default to the employer's. Without an `occupation_uri`, occupations are
    inferred from the title; free-text skills are matched to ESCO skills (`inferred_*`, with scores)."""
    opening = await service.create_opening(conn, caller, employer_id, body, normaliser)
    encode_after_commit(request, background, "opening")
    return opening


@router.get("/openings", response_model=Page[Opening], responses=responses(401, 422), tags=["openings"],
            summary="List openings")
async def list_openings(conn: Conn, caller: Caller, limit: Limit = 50, cursor: Cursor = None,
                        employer: uuid.UUID | None = None, status: OpeningStatus | None = None) -> Page[Opening]:
    """Staff see all openings; an employer sees only its own."""
    return await service.list_openings(conn, caller, after=decode_cursor(cursor), limit=limit,
                                       employer_id=employer, status=status)


@router.get("/openings/{opening_id}", response_model=Opening, responses=responses(401, 404, 422),
            tags=["openings"])
async def get_opening(conn: Conn, caller: Caller, opening_id: uuid.UUID) -> Opening:
    return await service.get_opening(conn, caller, opening_id)


@router.patch("/openings/{opening_id}", response_model=Opening, responses=responses(401, 404, 409, 422),
              tags=["openings"], summary="Change, pause, fill or close an opening")
async def update_opening(conn: Conn, caller: Caller, normaliser: NormaliserDep, request: Request,
                         background: BackgroundTasks, opening_id: uuid.UUID, body: OpeningUpdate) -> Opening:
    opening = await service.update_opening(conn, caller, opening_id, body, normaliser)
    encode_after_commit(request, background, "opening")
    return opening
