"""Form input for the pages: read submitted values, and turn validation errors into Danish messages
next to the field they concern.

The pages build the same pydantic models as the API and call the same services; only the wording of
the errors is the pages' own.
"""

import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
from pydantic import ValidationError
from starlette.datastructures import FormData

from core.errors import BrobyggerError, field_errors

T = TypeVar("T")

GENERIC_MESSAGE = "Værdien er ikke gyldig."

# Messages raised by validators and services (English, for the API), as patterns with a Danish text.
_MESSAGES: list[tuple[re.Pattern[str], str]] = [(re.compile(pattern), text) for pattern, text in [
    (r"^unknown Danish postcode", "Postnummeret findes ikke i Danmark."),
    (r"^must not exceed hours_max", "Må ikke være flere timer end det højeste antal timer."),
    (r"^must not be before start_date", "Må ikke ligge før startdatoen."),
    (r"^must not contain a CPR number", "Må ikke indeholde et CPR-nummer eller noget, der ligner et."),
    (r"^must not contain NUL", "Indeholder et tegn, der ikke er tilladt."),
    (r"^not a valid CVR number", "Ikke et gyldigt CVR-nummer (8 cifre med gyldigt kontrolciffer)."),
    (r"^only allowed when status is 'paused'", "Kan kun angives, når virksomheden er sat på pause."),
    (r"^give a decline reason", "Vælg en begrundelse for afvisningen."),
    (r"^a decline reason cannot explain an acceptance", "Vælg en begrundelse for accept, ikke for afvisning."),
    (r"^no reason code when marking a suggestion contacted", "Der gives ingen begrundelse ved kontakt."),
    (r"^already used by another", "Er allerede brugt et andet sted."),
    (r"^not an ISO week|^'.*' is not an ISO week", "Skriv en uge som 2026-W48."),
    (r"weeks ago; runs go back at most (\d+)", "Kørsler kan højst gå {0} uger tilbage."),
    (r"weeks ahead; runs go at most (\d+)", "Kørsler kan højst planlægges {0} uger frem."),
    (r"^no jobcentre with kommune code", "Der findes ikke et jobcenter med den kommunekode."),
    (r"^the citizen cannot use", "Borgeren kan ikke bruge den ordning."),
    (r"^the opening does not offer", "Opslaget tilbyder ikke den ordning."),
    (r"^must be (\d+) to (\d+) characters long", "Skal være {0} til {1} tegn."),
    (r"^give an ESCO skill `uri`, a free-text `text`", "Skriv kompetencen."),
]]

# Messages by pydantic error type; `{name}` is filled from the error's context.
_TYPES: dict[str, str] = {
    "missing": "Skal udfyldes.",
    "string_too_short": "Skal udfyldes.",
    "string_type": "Skal udfyldes.",
    "string_too_long": "Må højst være {max_length} tegn.",
    "int_parsing": "Skriv et helt tal.",
    "int_from_float": "Skriv et helt tal.",
    "int_type": "Skriv et helt tal.",
    "float_parsing": "Skriv et tal.",
    "float_type": "Skriv et tal.",
    "greater_than_equal": "Skal være mindst {ge}.",
    "greater_than": "Skal være større end {gt}.",
    "less_than_equal": "Må højst være {le}.",
    "less_than": "Skal være mindre end {lt}.",
    "date_parsing": "Skriv en dato som åååå-mm-dd.",
    "date_from_datetime_parsing": "Skriv en dato som åååå-mm-dd.",
    "date_type": "Skriv en dato som åååå-mm-dd.",
    "enum": "Vælg en af mulighederne.",
    "literal_error": "Vælg en af mulighederne.",
    "too_short": "Vælg mindst {min_length}.",
    "too_long": "Højst {max_length} må vælges.",
    "value_error.email": "Skriv en gyldig e-mailadresse.",
    "bool_parsing": "Vælg ja eller nej.",
    "uuid_parsing": "Vælg en af mulighederne.",
}

# Pattern errors, per field: what the field should look like.
_PATTERNS: dict[str, str] = {
    "postcode": "Skriv et postnummer med 4 cifre.",
    "industry": "Skriv en branchekode med 2 til 6 cifre.",
    "contact.phone": "Skriv et telefonnummer med 8 til 15 cifre.",
    "week": "Skriv en uge som 2026-W48.",
}


def _decimal(value: Any) -> str:
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def danish_message(message: str, *, error_type: str | None = None, context: dict[str, Any] | None = None,
                   field_name: str = "") -> str:
    """A Danish message for a validation error (by pydantic error type, or by the English message)."""
    context = context or {}
    for pattern, text in _MESSAGES:
        match = pattern.search(message)
        if match:
            return text.format(*match.groups())
    if error_type == "string_pattern_mismatch":
        return _PATTERNS.get(field_name, "Har ikke den rigtige form.")
    if error_type == "value_error" and "email" in message:
        return _TYPES["value_error.email"]
    if error_type in _TYPES:
        values = {key: _decimal(value) for key, value in context.items()}
        try:
            return _TYPES[error_type].format(**values)
        except (KeyError, IndexError):
            return GENERIC_MESSAGE
    return GENERIC_MESSAGE


def form_field(path: str) -> str:
    """The form field a model path belongs to: list items and union branches are the field itself
    (`schemes.0` → `schemes`, `reason_code.str-enum[DeclineReason]` → `reason_code`)."""
    parts = []
    for part in path.split("."):
        if part.isdigit() or "[" in part or part in ("str", "int", "none"):
            break
        parts.append(part)
    return ".".join(parts) or path


@dataclass
class FormState:
    """What the person typed and the Danish message for each field that was refused."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None  # about the form as a whole

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, message)

    def add_validation(self, error: ValidationError, *, aliases: dict[str, str] | None = None) -> None:
        """Pydantic errors, each on its form field (after `aliases`: model path → form field name)."""
        raw = list(error.errors())
        for item, named in zip(raw, field_errors(raw), strict=True):
            path = form_field(named["field"])
            self.add((aliases or {}).get(path, path), danish_message(
                named["message"], error_type=item.get("type"), context=item.get("ctx"), field_name=path))

    def add_domain(self, error: BrobyggerError, *, aliases: dict[str, str] | None = None) -> None:
        """A service's refusal: on its fields where it names them, else about the whole form."""
        if error.fields:
            for item in error.fields:
                name = (aliases or {}).get(item["field"], item["field"])
                self.add(name, danish_message(item["message"], field_name=item["field"]))
        else:
            self.message = danish_message(error.detail)


async def attempt(conn: asyncpg.Connection, work: Awaitable[T]) -> T:
    """Run a service write in a savepoint: when it is refused, nothing of it stays, while what the page
    read before (and its audit entries) commits with the request."""
    async with conn.transaction():
        return await work


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def choices(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str) and value]


def lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in text(form, name).splitlines() if line.strip()]


def values_of(form: FormData) -> dict[str, Any]:
    """The submitted values to show again: lists for repeated names, plain strings otherwise."""
    result: dict[str, Any] = {}
    for key in form:
        items = [value for value in form.getlist(key) if isinstance(value, str)]
        result[key] = items if len(items) > 1 else (items[0] if items else "")
    return result
