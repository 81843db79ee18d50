"""HTTP routes for taxonomy search: free text in Danish or English → ranked ESCO concepts."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import Caller
from api.errors import responses
from core.errors import InvalidInput
from taxonomy.normaliser import validate_query
from taxonomy.schemas import ConceptMatch, ConceptMatches
from taxonomy.service import NormaliserProvider

router = APIRouter(prefix="/v1/taxonomy", tags=["taxonomy"])

QueryText = Annotated[str, Query(max_length=500, description="A job title, a wish or a line of experience.",
                                 examples=["lagermedarbejder med truckcertifikat"])]
Limit = Annotated[int, Query(ge=1, le=50)]


def _checked(q: str) -> str:
    try:
        return validate_query(q)
    except ValueError as error:
        raise InvalidInput("q", str(error)) from error


@router.get("/occupations", response_model=ConceptMatches, responses=responses(401, 422),
            summary="Free text → ESCO occupations")
async def search_occupations(request: Request, caller: Caller, q: QueryText, limit: Limit = 10) -> ConceptMatches:
    """Combines character n-gram matching over Danish and English labels, DISCO-08 titles, the ISCO
    hierarchy and (once indexed) multilingual embeddings."""
    query = _checked(q)
    provider: NormaliserProvider = request.app.state.normaliser
    normaliser = await provider.get()
    matches = await asyncio.to_thread(normaliser.occupations, query, limit)
    return ConceptMatches(query=query, items=[ConceptMatch(**vars(match)) for match in matches])


@router.get("/skills", response_model=ConceptMatches, responses=responses(401, 422),
            summary="Free text → ESCO skills")
async def search_skills(request: Request, caller: Caller, q: QueryText, limit: Limit = 10) -> ConceptMatches:
    """ESCO skills have English labels only here; Danish text reaches them through the multilingual
    encoder and shared character n-grams."""
    query = _checked(q)
    provider: NormaliserProvider = request.app.state.normaliser
    normaliser = await provider.get()
    matches = await asyncio.to_thread(normaliser.skills, query, limit)
    return ConceptMatches(query=query, items=[ConceptMatch(**vars(match)) for match in matches])
