"""Users, bearer tokens (JWT) and employer API keys."""

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import asyncpg
import jwt

from core.errors import InvalidInput, Unauthorized
from core.vocab import Role
from users import repository
from users.schemas import Principal

API_KEY_PREFIX = "bby_"
TOKEN_ISSUER = "brobygger"
TOKEN_ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenConfig:
    secret: str
    ttl: dt.timedelta


def _principal(row: asyncpg.Record) -> Principal:
    return Principal(user_id=row["id"], role=Role(row["role"]), name=row["name"],
                     jobcentre_code=row["jobcentre_code"], employer_id=row["employer_id"])


async def create_user(conn: asyncpg.Connection, *, name: str, role: Role, email: str | None = None,
                      jobcentre_code: int | None = None, employer_id: uuid.UUID | None = None) -> Principal:
    """Create a user whose scope fits the role: a jobcentre for staff, an employer for employers."""
    if role in (Role.CONSULTANT, Role.JOBCENTRE_ADMIN):
        if jobcentre_code is None or not await repository.jobcentre_exists(conn, jobcentre_code):
            raise InvalidInput("jobcentre", f"role {role} needs the kommune code of an existing jobcentre")
        employer_id = None
    elif role is Role.EMPLOYER:
        if employer_id is None or not await repository.employer_exists(conn, employer_id):
            raise InvalidInput("employer", "role employer needs the id of an existing employer")
        jobcentre_code = None
    else:
        jobcentre_code = employer_id = None
    row = await repository.insert_user(conn, name=name, role=role, email=email,
                                       jobcentre_code=jobcentre_code, employer_id=employer_id)
    return _principal(row)


def issue_token(principal: Principal, config: TokenConfig, *, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    claims = {
        "iss": TOKEN_ISSUER, "sub": str(principal.user_id), "role": principal.role.value,
        "iat": int(now.timestamp()), "exp": int((now + config.ttl).timestamp()),
    }
    return jwt.encode(claims, config.secret, algorithm=TOKEN_ALGORITHM)


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(conn: asyncpg.Connection, principal: Principal) -> str:
    """A new API key for the user; only its hash is stored, so show the key once."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    await repository.insert_api_key(conn, principal.user_id, _hash_key(key), key[:10])
    return key


async def authenticate(conn: asyncpg.Connection, credential: str, config: TokenConfig) -> Principal:
    """Resolve a bearer credential (JWT or API key) to an active user's principal."""
    if credential.startswith(API_KEY_PREFIX):
        row = await repository.get_user_by_api_key(conn, _hash_key(credential))
        if row is None:
            raise Unauthorized("unknown or revoked API key")
        return _principal(row)
    try:
        claims = jwt.decode(credential, config.secret, algorithms=[TOKEN_ALGORITHM], issuer=TOKEN_ISSUER,
                            options={"require": ["exp", "sub", "iss"]})
        user_id = uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError) as error:
        raise Unauthorized(f"invalid bearer token: {error}") from error
    row = await repository.get_active_user(conn, user_id)
    if row is None:
        raise Unauthorized("the token's user does not exist or is deactivated")
    return _principal(row)
