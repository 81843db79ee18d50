"""Edge schemas for employers and their openings (API bodies and import rows)."""

import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import BaseModel, EmailStr, Field, StringConstraints, field_validator, model_validator

from core.schemas import (
    ExternalRef,
    InferredCode,
    LongText,
    OccupationUri,
    Postcode,
    ShortText,
    SkillRef,
    StrictModel,
    WeeklyHours,
)
from core.validation import is_valid_cvr
from core.vocab import EmployerStatus, OpeningStatus, PhysicalDemands, Scheme, WorkCondition

AccommodationTag = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
IndustryCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,6}$")]


class EmployerOffers(StrictModel):
    """What the workplace can offer a citizen who needs support."""

    mentor: bool = False
    reduced_hours: bool = False
    flexible_hours: bool = False
    gradual_start: bool = False
    physical_demands: PhysicalDemands = PhysicalDemands.MEDIUM
    accommodations: list[AccommodationTag] = Field(default_factory=list, max_length=20)


class ContactPerson(StrictModel):
    name: ShortText
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ]{8,15}$")] | None = None


class EmployerCreate(StrictModel):
    external_ref: ExternalRef | None = Field(None, description="Your own id for the employer; import key.")
    cvr: str = Field(description="CVR number: 8 digits with a valid modulus-11 check digit.", examples=["10150817"])
    name: ShortText
    industry: IndustryCode | None = Field(None, description="DB07 (NACE) code, 2 to 6 digits.")
    address: ShortText | None = None
    postcode: Postcode
    description: LongText = ""
    offers: EmployerOffers = Field(default_factory=EmployerOffers)
    contact: ContactPerson | None = None
    schemes: list[Scheme] = Field(default_factory=list, description="Schemes the employer is open to.")
    capacity: int = Field(1, ge=0, le=1000, description="How many people the employer can take at once.")
    available_from: dt.date | None = None
    status: EmployerStatus = EmployerStatus.ACTIVE
    paused_until: dt.date | None = None

    @field_validator("cvr")
    @classmethod
    def _cvr(cls, value: str) -> str:
        if not is_valid_cvr(value):
            raise ValueError("not a valid CVR number (8 digits with a modulus-11 check)")
        return value

    @field_validator("schemes")
    @classmethod
    def _unique_schemes(cls, value: list[Scheme]) -> list[Scheme]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _pause(self) -> Self:
        if self.paused_until is not None and self.status is not EmployerStatus.PAUSED:
            raise ValueError("paused_until: only allowed when status is 'paused'")
        return self


class EmployerUpdate(StrictModel):
    """Fields to change; anything left out keeps its value."""

    external_ref: ExternalRef | None = None
    cvr: str | None = None
    name: ShortText | None = None
    industry: IndustryCode | None = None
    address: ShortText | None = None
    postcode: Postcode | None = None
    description: LongText | None = None
    offers: EmployerOffers | None = None
    contact: ContactPerson | None = None
    schemes: list[Scheme] | None = None
    capacity: int | None = Field(None, ge=0, le=1000)
    available_from: dt.date | None = None
    status: EmployerStatus | None = None
    paused_until: dt.date | None = None


class Employer(BaseModel):
    id: uuid.UUID
    external_ref: str | None
    cvr: str
    name: str
    industry: str | None
    address: str | None
    postcode: str
    city: str
    kommune_code: int
    latitude: float
    longitude: float
    description: str
    offers: EmployerOffers
    contact: ContactPerson | None
    schemes: list[Scheme]
    capacity: int
    available_from: dt.date | None
    status: EmployerStatus
    paused_until: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class OpeningSkill(SkillRef):
    essential: bool = True


class OpeningCreate(StrictModel):
    external_ref: ExternalRef | None = Field(None, description="Your own id for the opening; import key.")
    title: ShortText
    description: LongText = ""
    occupation_uri: OccupationUri | None = None
    skills: list[OpeningSkill] = Field(default_factory=list, max_length=50)
    schemes: list[Scheme] = Field(min_length=1)
    hours_min: WeeklyHours = 37
    hours_max: WeeklyHours = 37
    slots: int = Field(1, ge=0, le=1000, description="How many people the opening can take.")
    postcode: Postcode | None = Field(None, description="Defaults to the employer's postcode.")
    physical_demands: PhysicalDemands | None = Field(None, description="Defaults to the employer's.")
    work_conditions: list[WorkCondition] = Field(default_factory=list)
    start_date: dt.date | None = None
    expires_on: dt.date | None = None
    status: OpeningStatus = OpeningStatus.OPEN

    @field_validator("schemes", "work_conditions")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.hours_min > self.hours_max:
            raise ValueError("hours_min: must not exceed hours_max")
        if self.start_date and self.expires_on and self.expires_on < self.start_date:
            raise ValueError("expires_on: must not be before start_date")
        return self


class OpeningImport(OpeningCreate):
    """An opening row in an import file names its employer by id or by the employer's external_ref."""

    employer_id: uuid.UUID | None = None
    employer_ref: ExternalRef | None = None

    @model_validator(mode="after")
    def _employer(self) -> Self:
        if (self.employer_id is None) == (self.employer_ref is None):
            raise ValueError("employer_ref: give exactly one of employer_id and employer_ref")
        return self


class OpeningUpdate(StrictModel):
    external_ref: ExternalRef | None = None
    title: ShortText | None = None
    description: LongText | None = None
    occupation_uri: OccupationUri | None = None
    skills: list[OpeningSkill] | None = Field(None, max_length=50)
    schemes: list[Scheme] | None = Field(None, min_length=1)
    hours_min: WeeklyHours | None = None
    hours_max: WeeklyHours | None = None
    slots: int | None = Field(None, ge=0, le=1000)
    postcode: Postcode | None = None
    physical_demands: PhysicalDemands | None = None
    work_conditions: list[WorkCondition] | None = None
    start_date: dt.date | None = None
    expires_on: dt.date | None = None
    status: OpeningStatus | None = None


class Opening(BaseModel):
    id: uuid.UUID
    employer_id: uuid.UUID
    employer_name: str
    external_ref: str | None
    title: str
    description: str
    occupation_uri: str | None
    skills: list[OpeningSkill]
    schemes: list[Scheme]
    hours_min: int
    hours_max: int
    slots: int
    postcode: str
    city: str
    kommune_code: int
    physical_demands: PhysicalDemands
    work_conditions: list[WorkCondition]
    start_date: dt.date | None
    expires_on: dt.date | None
    status: OpeningStatus
    inferred_occupations: list[InferredCode] = Field(
        default_factory=list, description="Occupations inferred from the title when no occupation_uri is set.")
    inferred_skills: list[InferredCode] = Field(
        default_factory=list, description="ESCO skills inferred from free-text skills.")
    created_at: dt.datetime
    updated_at: dt.datetime
