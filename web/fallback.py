"""Addresses under the pages' sections that match no page: a Danish not-found page, not the API's JSON."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from core.errors import NotFound
from web.deps import WebRoute, page_for_error

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def not_found(request: Request, rest: str) -> Response:
    return page_for_error(request, NotFound("no such page"))


for section in ("konsulent", "virksomhed", "jobcenter"):
    router.add_api_route(f"/{section}/{{rest:path}}", not_found, methods=["GET", "POST"])
