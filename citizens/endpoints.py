"""HTTP routes for citizens: jobcentre staff only, scoped to their own jobcentre, always audited."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Query, Request, Response, status

from api.deps import Caller, Conn, NormaliserDep, encode_after_commit
from api.errors import responses
from citizens import service
from citizens.schemas import Citizen, CitizenCreate, CitizenUpdate
from core.pagination import MAX_PAGE_SIZE, decode_cursor
from core.schemas import Page

router = APIRouter(prefix="/v1/citizens", tags=["citizens"])

CITIZEN_EXAMPLE = {
    "reference": "BRG-2026-00412", "postcode": "2650", "target_group": "kontanthjaelp",
    "skills": [{"text": "truckcertifikat"}, {"uri": "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da"}],
    "experience": [{"title": "lagermedarbejder", "years": 3}], "education_level": "primary",
    "wishes": {"occupations": [{"text": "lager"}], "text": "Gerne fysisk arbejde, men ikke tunge løft."},
    "max_commute_km": 20, "hours_min": 15, "hours_max": 25,
    "limitations": ["no_heavy_lifting"], "limitations_consent": True, "needs": ["mentor", "gradual_start"],
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Citizen,
             responses=responses(401, 403, 409, 422), summary="Register a citizen")
async def create_citizen(conn: Conn, caller: Caller, normaliser: NormaliserDep, request: Request,
                         background: BackgroundTasks,
                         body: Annotated[CitizenCreate, Body(examples=[CITIZEN_EXAMPLE])]) -> Citizen:
    """The reference is pseudonymous and unique within the jobcentre; anything CPR-like is refused.
    Occupations and skills given as free text get inferred ESCO codes (`inferred_*`, with scores)."""
    citizen = await service.create(conn, caller, body, normaliser)
    encode_after_commit(request, background, "citizen")
    return citizen


@router.get("", response_model=Page[Citizen], responses=responses(401, 403, 422), summary="List citizens")
async def list_citizens(
    conn: Conn, caller: Caller,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
    consultant: uuid.UUID | None = None, active: bool | None = None,
    reference: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[Citizen]:
    """Citizens of the caller's own jobcentre."""
    return await service.list_citizens(conn, caller, after=decode_cursor(cursor), limit=limit,
                                       consultant_id=consultant, active=active, reference_filter=reference)


@router.get("/{citizen_id}", response_model=Citizen, responses=responses(401, 403, 404, 422))
async def get_citizen(conn: Conn, caller: Caller, citizen_id: uuid.UUID) -> Citizen:
    return await service.get(conn, caller, citizen_id)


@router.patch("/{citizen_id}", response_model=Citizen, responses=responses(401, 403, 404, 409, 422))
async def update_citizen(conn: Conn, caller: Caller, normaliser: NormaliserDep, request: Request,
                         background: BackgroundTasks, citizen_id: uuid.UUID, body: CitizenUpdate) -> Citizen:
    """Only the fields sent change. Changing the target group without `schemes` re-derives the schemes."""
    citizen = await service.update(conn, caller, citizen_id, body, normaliser)
    encode_after_commit(request, background, "citizen")
    return citizen


@router.delete("/{citizen_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=responses(401, 403, 404, 422), summary="Erase a citizen")
async def erase_citizen(conn: Conn, caller: Caller, citizen_id: uuid.UUID) -> Response:
    """Erases the citizen's personal data everywhere; the audit log keeps only that an erasure happened."""
    await service.erase(conn, caller, citizen_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
