"""Entity kinds that get vectors, and what a sync did."""

from enum import StrEnum

from pydantic import BaseModel


class EntityKind(StrEnum):
    """The `text_vectors.entity_kind` values; the database CHECK constraint lists the same."""

    CITIZEN = "citizen"
    OPENING = "opening"
    EMPLOYER = "employer"


ALL_KINDS: tuple[EntityKind, ...] = tuple(EntityKind)


class KindReport(BaseModel):
    """One kind's share of a sync. `empty` rows have no text to encode (and keep no vector)."""

    kind: EntityKind
    total: int = 0
    examined: int = 0
    encoded: int = 0
    unchanged: int = 0
    empty: int = 0


class SyncReport(BaseModel):
    encoder_id: str
    dimension: int
    kinds: dict[EntityKind, KindReport]

    @property
    def encoded(self) -> int:
        return sum(report.encoded for report in self.kinds.values())

    @property
    def examined(self) -> int:
        return sum(report.examined for report in self.kinds.values())


class VectorCount(BaseModel):
    encoder_id: str
    kind: EntityKind
    vectors: int
