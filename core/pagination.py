"""Opaque cursors for keyset pagination over uuid primary keys."""

import base64
import uuid

from core.errors import InvalidInput

MAX_PAGE_SIZE = 200


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as error:
        raise InvalidInput("cursor", "not a cursor returned by this API") from error
