"""Users, bearer tokens (JWT), employer API keys and password sign-in for the web pages."""

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

import asyncpg
import jwt

from core.db import unique_or_conflict
from core.errors import InvalidInput, Unauthorized
from core.vocab import Role
from users import repository
from users.schemas import Principal

API_KEY_PREFIX = "bby_"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# scrypt (RFC 7914) from the standard library; n=2**14, r=8 uses 16 MiB and takes tens of milliseconds.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
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
                      jobcentre_code: int | None = None, employer_id: uuid.UUID | None = None,
                      password: str | None = None) -> Principal:
    """Create a user whose scope fits the role: a jobcentre for staff, an employer for employers. With a
    password (and an email to sign in with) the user can also use the web pages."""
    if password is not None:
        if email is None:
            raise InvalidInput("email", "a user with a password signs in with an email")
        check_new_password(password)
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
    row = await unique_or_conflict(conn, repository.insert_user(
        conn, name=name, role=role, email=email, jobcentre_code=jobcentre_code, employer_id=employer_id,
        password_hash=hash_password(password) if password is not None else None),
        field="email", message="already used by another user")
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


# ---------------------------------------------------------------------------------------------------
# Passwords (web sign-in)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form `scrypt$n$r$p$salt$hash`; the parameters travel with it."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        found = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


# Checked against when the email is unknown, so that a wrong email takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def check_new_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput("password", f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long")


async def set_password(conn: asyncpg.Connection, email: str, password: str) -> Principal:
    """Give the active user with this email a (new) password for the web pages."""
    check_new_password(password)
    row = await repository.get_active_user_by_email(conn, email)
    if row is None:
        raise InvalidInput("email", f"no active user with email '{email}'")
    await repository.set_password_hash(conn, row["id"], hash_password(password))
    return _principal(row)


async def sign_in(conn: asyncpg.Connection, email: str, password: str) -> Principal:
    """The principal of an active user whose password matches; one message for every failure."""
    row = await repository.get_active_user_by_email(conn, email.strip()) if email.strip() else None
    stored = row["password_hash"] if row is not None and row["password_hash"] else None
    valid = verify_password(password, stored or _DUMMY_HASH)
    if row is None or stored is None or not valid:
        raise Unauthorized("unknown email or wrong password")
    return _principal(row)


async def get_principal(conn: asyncpg.Connection, user_id: uuid.UUID) -> Principal:
    """The principal of an active user (a web session refers to its user by id)."""
    row = await repository.get_active_user(conn, user_id)
    if row is None:
        raise Unauthorized("the user does not exist or is deactivated")
    return _principal(row)
