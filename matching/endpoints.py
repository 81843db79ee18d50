"""HTTP routes for matching: suggestions for a citizen, candidates for an opening, and feedback.

Jobcentre staff only, scoped to their own jobcentre's citizens; employers never see citizen data.
"""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.deps import Caller, Conn, MatchEngine
from api.errors import responses
from core.vocab import Scheme
from matching import service
from matching.schemas import MAX_LIMIT, FeedbackCreate, RankedList, Suggestion

router = APIRouter(prefix="/v1", tags=["matching"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many ranked items to return.")]
Lang = Annotated[Literal["da", "en"], Query(description="Language of explanations, reasons and warnings.")]


def _json(ranked: RankedList) -> Response:
    """The ranking serialised once: returned as a model, FastAPI would first validate it again against the
    response model (which stays the documented shape)."""
    return Response(ranked.model_dump_json(by_alias=True), media_type="application/json")


@router.get("/citizens/{citizen_id}/suggestions", response_model=RankedList,
            responses=responses(401, 403, 404, 409, 422), summary="Ranked placements for a citizen")
async def citizen_suggestions(
    conn: Conn, caller: Caller, engine: MatchEngine, citizen_id: uuid.UUID,
    scheme: Annotated[Scheme | None, Query(description="Only this scheme.")] = None,
    max_km: Annotated[int | None, Query(ge=1, le=300, description="Below the citizen's max commute.")] = None,
    limit: Limit = 20, lang: Lang = "da",
    include_excluded: Annotated[bool, Query(description="Also list relevant placements that break a rule.")] = False,
) -> Response:
    """Open openings, and employers open to a scheme without a posted opening, that the citizen may take
    (scheme, hours, commute, functional limitations, free slots, not paused or expired), ranked by the
    active scorer. Each item has a Danish (or English) explanation built only from the reasons that raised
    its score, and caveats to check. Every item is stored as a suggestion (see `/v1/suggestions/{id}`);
    suggestions already accepted or declined are left out. The same data gives the same ranking."""
    query = service.MatchQuery(scheme=scheme, max_km=max_km, limit=limit, lang=lang,
                               include_excluded=include_excluded)
    return _json(await service.suggestions_for_citizen(conn, caller, citizen_id, query, engine))


@router.get("/openings/{opening_id}/candidates", response_model=RankedList,
            responses=responses(401, 403, 404, 422), summary="The consultant's citizens ranked for an opening")
async def opening_candidates(
    conn: Conn, caller: Caller, engine: MatchEngine, opening_id: uuid.UUID,
    scheme: Annotated[Scheme | None, Query(description="Only this scheme.")] = None,
    limit: Limit = 20, lang: Lang = "da",
) -> Response:
    """Active citizens of the caller's own jobcentre who may take the opening, best first, with the same
    item shape as suggestions (plus `citizen`). Employers cannot call this."""
    query = service.MatchQuery(scheme=scheme, limit=limit, lang=lang)
    return _json(await service.candidates_for_opening(conn, caller, opening_id, query, engine))


@router.get("/suggestions/{suggestion_id}", response_model=Suggestion, responses=responses(401, 403, 404, 422),
            summary="A stored suggestion with its features and feedback history")
async def get_suggestion(conn: Conn, caller: Caller, suggestion_id: uuid.UUID) -> Suggestion:
    return await service.get_suggestion(conn, caller, suggestion_id)


@router.post("/suggestions/{suggestion_id}/feedback", response_model=Suggestion,
             responses=responses(401, 403, 404, 409, 422), summary="Record contacted, accepted or declined")
async def suggestion_feedback(conn: Conn, caller: Caller, suggestion_id: uuid.UUID,
                              body: FeedbackCreate) -> Suggestion:
    """A suggestion moves proposed → contacted → accepted or declined, or proposed → declined. Declining
    needs a reason code; decided suggestions are final (409), and the database enforces the same."""
    return await service.record_feedback(conn, caller, suggestion_id, body)
