"""Edge schemas for taxonomy search."""

from pydantic import BaseModel, Field


class ConceptMatch(BaseModel):
    uri: str
    label: str = Field(description="Danish label where ESCO has one, else English.")
    score: float = Field(ge=0, le=1, description="Confidence in [0, 1]; compare within one answer.")
    source: str = Field(description="Which signals found it: lexical, dense, structure, or combinations.")


class ConceptMatches(BaseModel):
    query: str
    items: list[ConceptMatch]
