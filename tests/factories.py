"""Readable defaults for request bodies; tests override only what they are about."""

import uuid
from typing import Any

VALID_CVRS = ("10150817", "24256790", "25313763", "12345674", "30060946", "29403473")


def unique_ref(prefix: str) -> str:
    """A reference no other test uses. Its random part is split so that it can never hold ten digits in
    a row, which the schemas would refuse as shaped like a CPR number."""
    token = uuid.uuid4().hex
    return f"{prefix}-{token[:5]}-{token[5:10]}"


def employer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cvr": "10150817", "name": "Hansen Lager & Logistik ApS", "industry": "521000",
        "address": "Industrivej 12", "postcode": "2650",
        "description": "Lager med 40 ansatte. Vi tager gerne folk i praktik.",
        "offers": {"mentor": True, "gradual_start": True, "physical_demands": "medium"},
        "contact": {"name": "Mette Hansen", "email": "mette@example.dk"},
        "schemes": ["internship", "ordinary", "wage_subsidy"], "capacity": 2,
    }
    body.update(overrides)
    return body


def opening_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Lagermedarbejder", "description": "Pluk og pak af ordrer.",
        "skills": [{"text": "truckcertifikat", "essential": True}],
        "schemes": ["internship", "ordinary"], "hours_min": 20, "hours_max": 37, "slots": 2,
        "work_conditions": ["mostly_standing"],
    }
    body.update(overrides)
    return body


def citizen_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "BRG-2026-0001", "postcode": "2200", "target_group": "kontanthjaelp",
        "skills": [{"text": "truckcertifikat"}], "experience": [{"title": "lagermedarbejder", "years": 3}],
        "education_level": "primary",
        "wishes": {"occupations": [{"text": "lager"}], "text": "Gerne fysisk arbejde, men ikke tunge løft."},
        "max_commute_km": 20, "hours_min": 15, "hours_max": 30,
        "limitations": ["no_heavy_lifting"], "limitations_consent": True, "needs": ["mentor"],
    }
    body.update(overrides)
    return body


def error_fields(response: Any) -> list[str]:
    """The fields an error response names, after checking it has the API's one error shape."""
    body = response.json()
    assert set(body) <= {"error", "detail", "fields"}, body
    assert isinstance(body["error"], str) and body["error"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    fields = body.get("fields", [])
    assert all(set(item) == {"field", "message"} for item in fields), body
    return [item["field"] for item in fields]
