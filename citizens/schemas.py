"""Edge schemas for citizens (API bodies and import rows).

Citizens are pseudonymous: `reference` is the jobcentre's own case reference, never a CPR number.
Health appears only as functional limitations the citizen consented to share.
"""

import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from core.schemas import (
    ExternalRef,
    InferredCode,
    LongText,
    OccupationRef,
    OccupationUri,
    Postcode,
    ShortText,
    SkillRef,
    StrictModel,
    WeeklyHours,
)
from core.vocab import SCHEMES_BY_TARGET_GROUP, EducationLevel, Limitation, Need, Scheme, TargetGroup

IndustryCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,6}$")]


class Experience(StrictModel):
    occupation_uri: OccupationUri | None = None
    title: ShortText | None = None
    years: float = Field(0, ge=0, le=60)

    @model_validator(mode="after")
    def _uri_or_title(self) -> Self:
        if self.occupation_uri is None and self.title is None:
            raise ValueError("give an ESCO `occupation_uri`, a free-text `title`, or both")
        return self


class Wishes(StrictModel):
    """The citizen's own wishes: occupations, industries and free text in their own words."""

    occupations: list[OccupationRef] = Field(default_factory=list, max_length=20)
    industries: list[IndustryCode] = Field(default_factory=list, max_length=20)
    text: LongText = ""


class CitizenFields(StrictModel):
    """Everything about a citizen except the identifying keys; validated as a whole."""

    consultant_id: uuid.UUID | None = Field(None, description="The citizen's consultant (a user id).")
    postcode: Postcode
    target_group: TargetGroup
    skills: list[SkillRef] = Field(default_factory=list, max_length=100)
    experience: list[Experience] = Field(default_factory=list, max_length=50)
    education_level: EducationLevel | None = None
    wishes: Wishes = Field(default_factory=Wishes)
    max_commute_km: int = Field(25, ge=1, le=300)
    hours_min: WeeklyHours = 0
    hours_max: WeeklyHours = 37
    limitations: list[Limitation] = Field(
        default_factory=list, description="Functional limitations; only with limitations_consent."
    )
    limitations_consent: bool = Field(False, description="The citizen agreed to share the limitations.")
    needs: list[Need] = Field(default_factory=list)
    schemes: list[Scheme] = Field(default_factory=list, description="Defaults to all the target group allows.")
    active: bool = True

    @field_validator("limitations", "needs", "schemes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.hours_min > self.hours_max:
            raise ValueError("hours_min: must not exceed hours_max")
        if self.limitations and not self.limitations_consent:
            raise ValueError("limitations: may only be stored when limitations_consent is true")
        allowed = SCHEMES_BY_TARGET_GROUP[self.target_group]
        if not self.schemes:
            self.schemes = sorted(allowed)
        elif not set(self.schemes) <= allowed:
            refused = ", ".join(sorted(set(self.schemes) - allowed))
            raise ValueError(f"schemes: target group '{self.target_group}' may not use {refused}")
        return self


class CitizenCreate(CitizenFields):
    reference: ExternalRef = Field(
        description="The jobcentre's pseudonymous case reference; unique per jobcentre, never a CPR number.",
        examples=["BRG-2026-00412"],
    )
    jobcentre_code: int | None = Field(
        None, ge=100, le=999, description="Kommune code of the jobcentre; defaults to the caller's own jobcentre."
    )


class CitizenUpdate(StrictModel):
    """Fields to change; anything left out keeps its value."""

    reference: ExternalRef | None = None
    consultant_id: uuid.UUID | None = None
    postcode: Postcode | None = None
    target_group: TargetGroup | None = None
    skills: list[SkillRef] | None = Field(None, max_length=100)
    experience: list[Experience] | None = Field(None, max_length=50)
    education_level: EducationLevel | None = None
    wishes: Wishes | None = None
    max_commute_km: int | None = Field(None, ge=1, le=300)
    hours_min: WeeklyHours | None = None
    hours_max: WeeklyHours | None = None
    limitations: list[Limitation] | None = None
    limitations_consent: bool | None = None
    needs: list[Need] | None = None
    schemes: list[Scheme] | None = None
    active: bool | None = None


class Citizen(BaseModel):
    id: uuid.UUID
    reference: str
    jobcentre_code: int
    consultant_id: uuid.UUID | None
    postcode: str
    city: str
    target_group: TargetGroup
    skills: list[SkillRef]
    experience: list[Experience]
    education_level: EducationLevel | None
    wishes: Wishes
    max_commute_km: int
    hours_min: int
    hours_max: int
    limitations: list[Limitation]
    limitations_consent: bool
    needs: list[Need]
    schemes: list[Scheme]
    active: bool
    inferred_occupations: list[InferredCode] = Field(
        default_factory=list, description="Occupations inferred from free-text experience and wishes.")
    inferred_skills: list[InferredCode] = Field(
        default_factory=list, description="ESCO skills inferred from free-text skills.")
    created_at: dt.datetime
    updated_at: dt.datetime
