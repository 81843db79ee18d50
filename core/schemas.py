"""Pydantic building blocks shared by the domains' edge schemas."""

import re
from typing import Annotated, Generic, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.validation import looks_like_cpr

ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
_ESCO_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 5000


class StrictModel(BaseModel):
    """Input model: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _no_nul(value: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL: refuse it here, where the error can name the field.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _no_cpr(value: str) -> str:
    if looks_like_cpr(value):
        raise ValueError("must not contain a CPR number or anything shaped like one")
    return value


def _esco_uri(prefix: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value.startswith(prefix) or not _ESCO_ID.match(value.removeprefix(prefix)):
            raise ValueError(f"must be an ESCO URI of the form {prefix}<uuid>")
        return value

    return AfterValidator(check)


ShortText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHORT_TEXT), AfterValidator(_no_nul),
                     AfterValidator(_no_cpr)]
LongText = Annotated[str, StringConstraints(max_length=MAX_LONG_TEXT), AfterValidator(_no_nul), AfterValidator(_no_cpr)]
Postcode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
OccupationUri = Annotated[str, _esco_uri(ESCO_OCCUPATION_PREFIX)]
SkillUri = Annotated[str, _esco_uri(ESCO_SKILL_PREFIX)]
WeeklyHours = Annotated[int, Field(ge=0, le=60)]
ExternalRef = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$"), AfterValidator(_no_cpr)
]


class SkillRef(StrictModel):
    """A skill given as an ESCO URI, as free text, or both."""

    uri: SkillUri | None = None
    text: ShortText | None = None

    @model_validator(mode="after")
    def _uri_or_text(self) -> Self:
        if self.uri is None and self.text is None:
            raise ValueError("give an ESCO skill `uri`, a free-text `text`, or both")
        return self


class OccupationRef(StrictModel):
    """An occupation given as an ESCO URI, as free text, or both."""

    uri: OccupationUri | None = None
    text: ShortText | None = None

    @model_validator(mode="after")
    def _uri_or_text(self) -> Self:
        if self.uri is None and self.text is None:
            raise ValueError("give an ESCO occupation `uri`, a free-text `text`, or both")
        return self


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = None


class InferredCode(BaseModel):
    """A code the service inferred from free text, kept apart from codes a person set."""

    uri: str
    label: str
    score: float
    from_text: str = Field(alias="from", description="The free text it was inferred from.")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
