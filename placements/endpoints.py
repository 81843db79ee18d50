"""HTTP routes for placements: jobcentre staff only, scoped to their citizens, always audited."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from api.deps import Caller, Conn
from api.errors import responses
from core.pagination import MAX_PAGE_SIZE, decode_cursor
from core.schemas import Page
from placements import service
from placements.schemas import Placement, PlacementCreate, PlacementUpdate

router = APIRouter(prefix="/v1/placements", tags=["placements"])

PLACEMENT_EXAMPLE = {
    "citizen_id": "2f1c7a52-9d0e-4d47-9a55-0c8f3f1f3b10", "employer_id": "8a4d2c8e-0b7e-4a53-a5f0-2d9e6f1b7c21",
    "opening_id": "c3b1e9f4-5a6d-4e2f-8b7c-1d0a9e8f7b65", "scheme": "internship", "start_date": "2026-02-02",
    "suggestion_id": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
}
ENDING_EXAMPLE = {"end_date": "2026-04-24", "outcome": "hired", "outcome_reason": "Ansat 25 timer om ugen."}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Placement,
             responses=responses(401, 403, 404, 409, 422), summary="Record a placement")
async def create_placement(conn: Conn, caller: Caller,
                           body: Annotated[PlacementCreate, Body(examples=[PLACEMENT_EXAMPLE])]) -> Placement:
    """A citizen of the caller's jobcentre starts with an employer, in one of its openings or straight with
    the employer. The scheme must be allowed for the citizen's target group and offered by the opening.
    A suggestion may lead to at most one placement (409 otherwise). A citizen of another jobcentre is
    answered as unknown (404)."""
    return await service.create(conn, caller, body)


@router.get("", response_model=Page[Placement], responses=responses(401, 403, 422), summary="List placements")
async def list_placements(
    conn: Conn, caller: Caller,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
    citizen_id: Annotated[uuid.UUID | None, Query(description="Only this citizen's placements.")] = None,
    employer_id: Annotated[uuid.UUID | None, Query(description="Only placements with this employer.")] = None,
) -> Page[Placement]:
    """Placements of the caller's jobcentre's citizens, oldest id first."""
    return await service.list_placements(conn, caller, after=decode_cursor(cursor), limit=limit,
                                         citizen_id=citizen_id, employer_id=employer_id)


@router.get("/{placement_id}", response_model=Placement, responses=responses(401, 403, 404, 422),
            summary="Get a placement")
async def get_placement(conn: Conn, caller: Caller, placement_id: uuid.UUID) -> Placement:
    """A placement of a citizen of the caller's jobcentre; any other is answered as unknown (404)."""
    return await service.get(conn, caller, placement_id)


@router.patch("/{placement_id}", response_model=Placement, responses=responses(401, 403, 404, 409, 422),
              summary="Record how a placement ends")
async def update_placement(conn: Conn, caller: Caller, placement_id: uuid.UUID,
                           body: Annotated[PlacementUpdate, Body(examples=[ENDING_EXAMPLE])]) -> Placement:
    """Only the fields sent change. `end_date` may not be before `start_date` (422). An open placement may
    get any outcome; `extended` may later become completed, hired, dropped_out or cancelled (ending no
    earlier than before); every other outcome is final, and changing it is a 409. Every outcome but
    `extended` needs an end date, sent now or stored before."""
    return await service.update(conn, caller, placement_id, body)
