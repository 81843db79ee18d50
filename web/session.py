"""The web session: a signed, HttpOnly cookie holding the signed-in user's id and the CSRF token.

The cookie is signed with the token secret (itsdangerous), expires with the token lifetime, is
SameSite=Lax, and Secure outside development. It holds no personal data: the user is looked up on each
request, so a deactivated user is signed out at once.
"""

import hmac
import secrets
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from core.config import Settings

COOKIE_NAME = "bby_session"
_SALT = "brobygger-web-session"
_STATE_KEY = "web_session"


@dataclass
class WebSession:
    user_id: uuid.UUID | None
    csrf_token: str
    changed: bool = False


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.token_secret.get_secret_value(), salt=_SALT)


def _max_age(settings: Settings) -> int:
    return settings.token_ttl_hours * 3600


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _new() -> WebSession:
    return WebSession(user_id=None, csrf_token=secrets.token_urlsafe(32), changed=True)


def current(request: Request) -> WebSession:
    """The request's session: the one in a valid cookie, or a new anonymous one (sent with the response)."""
    found: WebSession | None = getattr(request.state, _STATE_KEY, None)
    if found is not None:
        return found
    settings = _settings(request)
    session = _new()
    raw = request.cookies.get(COOKIE_NAME)
    if raw:
        try:
            data = _serializer(settings).loads(raw, max_age=_max_age(settings))
            user = data.get("u")
            session = WebSession(user_id=uuid.UUID(user) if user else None, csrf_token=str(data["c"]))
        except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
            session = _new()
    setattr(request.state, _STATE_KEY, session)
    return session


def sign_in(request: Request, user_id: uuid.UUID) -> None:
    """A fresh session for the user: a new CSRF token, so nothing from before the sign-in carries over."""
    session = current(request)
    session.user_id, session.csrf_token, session.changed = user_id, secrets.token_urlsafe(32), True


def sign_out(request: Request) -> None:
    session = current(request)
    session.user_id, session.csrf_token, session.changed = None, secrets.token_urlsafe(32), True


def csrf_valid(request: Request, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(submitted.encode(), current(request).csrf_token.encode())


def write(request: Request, response: Response) -> None:
    """Set the cookie on the response when the session was created or changed in this request."""
    session: WebSession | None = getattr(request.state, _STATE_KEY, None)
    if session is None or not session.changed:
        return
    settings = _settings(request)
    value = _serializer(settings).dumps({"u": str(session.user_id) if session.user_id else None,
                                         "c": session.csrf_token})
    response.set_cookie(COOKIE_NAME, value, max_age=_max_age(settings), path="/", httponly=True, samesite="lax",
                        secure=settings.environment != "development")
