"""Every error leaves the API in one JSON shape: `{"error": code, "detail": text, "fields": [...]}`."""

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import BrobyggerError, field_errors

logger = logging.getLogger(__name__)

class ErrorBody(BaseModel):
    """The one error shape of the API."""

    error: str
    detail: str
    fields: list[dict[str, str]] | None = None


def validation_response(errors: list[Any]) -> JSONResponse:
    fields = field_errors(errors)
    detail = "; ".join(f"{field['field']}: {field['message']}" for field in fields)
    body = ErrorBody(error="validation_error", detail=detail, fields=fields)
    return JSONResponse(status_code=422, content=body.model_dump(exclude_none=True))


def install(app: FastAPI) -> None:
    @app.exception_handler(BrobyggerError)
    async def domain_error(request: Request, error: BrobyggerError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return JSONResponse(status_code=error.status_code, content=error.body(), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def request_validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return validation_response(list(error.errors()))

    @app.exception_handler(ValidationError)
    async def model_validation(request: Request, error: ValidationError) -> JSONResponse:
        return validation_response(list(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(status_code=error.status_code, content={"error": code, "detail": str(error.detail)})

    @app.exception_handler(asyncpg.DataError)
    async def data_error(request: Request, error: asyncpg.DataError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"error": "validation_error", "detail": str(error)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Log the type and route only: exception text can carry personal data.
        logger.error("unhandled %s on %s %s", type(error).__name__, request.method, request.url.path)
        return JSONResponse(status_code=500, content={"error": "internal_error", "detail": "internal error"})


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route's error statuses, all in the one error shape."""
    descriptions = {
        400: "Malformed request", 401: "Missing or invalid credentials", 403: "Not allowed for this role",
        404: "Not found (or not visible to the caller)", 409: "Conflicts with stored data",
        422: "Invalid input; `fields` names each field and its problem", 503: "A dependency is unavailable",
    }
    return {status: {"model": ErrorBody, "description": descriptions[status]} for status in statuses}
