"""What every page needs: the signed-in user and their role, CSRF-checked forms, and error pages.

Pages use the API's unit of work (`api.deps.Conn`) and the same services; a domain error becomes a
polite Danish page with the error's status (a citizen or opening out of scope is a not-found page), never
a stack trace or JSON.
"""

import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from api.deps import Conn
from core.errors import BrobyggerError, Forbidden, NotFound, Unauthorized
from core.vocab import Role
from users import service as users
from users.schemas import Principal
from web import session
from web.forms import danish_message
from web.templating import render

logger = logging.getLogger(__name__)

SIGN_IN_PATH = "/log-ind"
# No inline script or style and nothing from elsewhere: the pages need only their own files.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """No signed-in user: go to the sign-in page and come back."""


class CsrfRejected(Exception):
    """A form without the session's CSRF token."""


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None, default: str) -> str:
    """A local path to go to after a form (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return path


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status_code)


def _not_found(request: Request) -> Response:
    return error_page(request, 404, "Siden findes ikke",
                      "Vi kan ikke finde det, du leder efter. Det kan være slettet, eller også hører det under "
                      "et andet jobcenter eller en anden virksomhed.")


def _forbidden(request: Request) -> Response:
    return error_page(request, 403, "Ingen adgang",
                      "Din rolle giver ikke adgang til denne side. Brug menuen for at komme til dine egne sider.")


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"{SIGN_IN_PATH}?{urllib.parse.urlencode({'naeste': target})}")


def page_for_error(request: Request, error: Exception) -> Response:
    """The page a failed request shows."""
    if isinstance(error, SignInRequired | Unauthorized):
        return _to_sign_in(request)
    if isinstance(error, CsrfRejected):
        return error_page(request, 403, "Formularen er udløbet",
                          "Siden var for gammel til at sende. Gå tilbage, genindlæs siden og prøv igen.")
    if isinstance(error, NotFound):
        return _not_found(request)
    if isinstance(error, Forbidden):
        return _forbidden(request)
    if isinstance(error, BrobyggerError):
        title = "Det kan ikke lade sig gøre" if error.status_code == 409 else "Noget er ikke som forventet"
        return error_page(request, error.status_code, title, danish_message(error.detail))
    if isinstance(error, RequestValidationError):
        # A malformed id in the address names nothing that exists.
        if any(item.get("loc", ("",))[0] == "path" for item in error.errors()):
            return _not_found(request)
        return error_page(request, 400, "Adressen er ikke gyldig", "Adressen indeholder en værdi, vi ikke forstår.")
    if isinstance(error, HTTPException):
        if error.status_code == 404:
            return _not_found(request)
        return error_page(request, error.status_code, "Det kan ikke lade sig gøre", "Siden kan ikke bruges sådan.")
    # Log the type and route only: exception text can carry personal data.
    logger.error("unhandled %s on %s %s", type(error).__name__, request.method, request.url.path)
    return error_page(request, 500, "Der skete en fejl",
                      "Noget gik galt hos os. Prøv igen om lidt; fortsætter fejlen, så kontakt driften.")


class WebRoute(APIRoute):
    """A page route: errors become pages, the session cookie is written, security headers are set."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as error:
                response = page_for_error(request, error)
            session.write(request, response)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return page


async def viewer(request: Request, conn: Conn) -> Principal:
    """The signed-in user, looked up on every request (a deactivated user is signed out)."""
    user_id = session.current(request).user_id
    if user_id is None:
        raise SignInRequired
    try:
        principal = await users.get_principal(conn, user_id)
    except Unauthorized as error:
        session.sign_out(request)
        raise SignInRequired from error
    request.state.web_principal = principal
    return principal


def role_guard(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    async def guard(principal: Annotated[Principal, Depends(viewer)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden("this page is for another role")
        return principal

    return guard


Viewer = Annotated[Principal, Depends(viewer)]
JobcentreStaff = Annotated[Principal, Depends(role_guard(Role.CONSULTANT, Role.JOBCENTRE_ADMIN))]
EmployerUser = Annotated[Principal, Depends(role_guard(Role.EMPLOYER))]
BatchAdmin = Annotated[Principal, Depends(role_guard(Role.JOBCENTRE_ADMIN, Role.ADMIN))]


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token matches the session's."""
    form = await request.form()
    token = form.get("csrf_token")
    if not session.csrf_valid(request, token if isinstance(token, str) else None):
        raise CsrfRejected
    return form


Form = Annotated[FormData, Depends(checked_form)]
