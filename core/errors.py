"""One error hierarchy: each domain error carries its HTTP status and a stable code.

The API renders every one of them as `{"error": code, "detail": text}` (plus `fields` for validation).
"""

import re
from typing import Any


class BrobyggerError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, detail: str, *, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.detail}
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(BrobyggerError):
    status_code = 400
    code = "bad_request"


class Unauthorized(BrobyggerError):
    status_code = 401
    code = "unauthorized"


class Forbidden(BrobyggerError):
    status_code = 403
    code = "forbidden"


class NotFound(BrobyggerError):
    status_code = 404
    code = "not_found"


class Conflict(BrobyggerError):
    status_code = 409
    code = "conflict"


class InvalidInput(BrobyggerError):
    """Input that is well-formed but wrong: names the field and the problem."""

    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", fields=[{"field": field, "message": message}])


class ServiceUnavailable(BrobyggerError):
    status_code = 503
    code = "unavailable"


_FIELD_PREFIX = re.compile(r"^(?:Value error, )?([a-z_][a-z0-9_]*): (.*)$", re.DOTALL)
_LOCATION_ROOTS = {"body", "query", "path", "header"}


def field_errors(errors: list[Any]) -> list[dict[str, str]]:
    """Pydantic errors as `{"field", "message"}` pairs a person can act on.

    Checks that span fields raise `ValueError("hours_min: ...")`; the prefix names the field.
    """
    fields = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if str(part) not in _LOCATION_ROOTS]
        message = str(error.get("msg", "invalid"))
        match = _FIELD_PREFIX.match(message)
        if match:
            location.append(match.group(1))
            message = match.group(2)
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        if error.get("type") == "json_invalid":
            # The location's last part is a character offset into the body, not a field.
            location = []
            message = f"not valid JSON ({error.get('ctx', {}).get('error', message)})"
        fields.append({"field": ".".join(location) or "body", "message": message})
    return fields
