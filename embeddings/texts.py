"""The text each entity is encoded from, built from its database row, and the hash that says it changed.

Pure functions over mappings (an asyncpg record or a dict). A citizen's text holds only what describes
the work they can and want to do: never their case reference, postcode, limitations or needs, so none of
that can reach a vector. ESCO URIs are resolved to labels through `Labels`; a label that changes (for
example after a taxonomy reload) changes the text, and so the vector.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from embeddings.schemas import EntityKind

Row = Mapping[str, Any]

EDUCATION_DA: dict[str, str] = {
    "none": "ingen uddannelse",
    "primary": "folkeskole",
    "upper_secondary": "gymnasial uddannelse",
    "vocational": "erhvervsuddannelse",
    "short_cycle": "kort videregående uddannelse",
    "bachelor": "mellemlang videregående uddannelse (bachelor)",
    "master": "lang videregående uddannelse (kandidat)",
    "phd": "ph.d.-uddannelse",
}

PHYSICAL_DEMANDS_DA: dict[str, str] = {"low": "lave", "medium": "middel", "high": "høje"}

# DB07 (NACE rev. 2) sections by the code's first two digits: the word an encoder understands,
# where the code itself would only be a number to it.
_DB07_SECTIONS: tuple[tuple[int, int, str], ...] = (
    (1, 3, "landbrug, skovbrug og fiskeri"),
    (5, 9, "råstofindvinding"),
    (10, 33, "industri"),
    (35, 35, "energiforsyning"),
    (36, 39, "vandforsyning, kloak og affaldshåndtering"),
    (41, 43, "bygge og anlæg"),
    (45, 47, "handel"),
    (49, 53, "transport og godshåndtering"),
    (55, 56, "hoteller og restauranter"),
    (58, 63, "information og kommunikation"),
    (64, 66, "finansiering og forsikring"),
    (68, 68, "fast ejendom"),
    (69, 75, "videnservice"),
    (77, 82, "rejsebureauer, rengøring og anden operationel service"),
    (84, 84, "offentlig administration, forsvar og politi"),
    (85, 85, "undervisning"),
    (86, 88, "sundhed og socialvæsen"),
    (90, 93, "kultur og fritid"),
    (94, 96, "andre serviceydelser"),
    (97, 98, "private husholdninger"),
    (99, 99, "eksterritoriale organisationer"),
)


@dataclass(frozen=True)
class Labels:
    """Labels of the ESCO URIs a batch of rows refers to (Danish where the taxonomy has one)."""

    occupations: Mapping[str, str] = field(default_factory=dict)
    skills: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class References:
    """ESCO URIs that rows refer to, to look their labels up in one query per batch."""

    occupations: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()


def industry_label(code: str | None) -> str | None:
    """The Danish name of a DB07 code's section, or None for no or an unknown code."""
    if not code or len(code) < 2 or not code[:2].isdigit():
        return None
    division = int(code[:2])
    return next((label for first, last, label in _DB07_SECTIONS if first <= division <= last), None)


def _clean(text: object) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def _unique(items: Iterable[str]) -> list[str]:
    """Non-empty items in order, without repeats (case-insensitive)."""
    seen: set[str] = set()
    kept = []
    for item in items:
        cleaned = _clean(item)
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            kept.append(cleaned)
    return kept


def _refs(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in (value or []) if isinstance(item, Mapping)]


def _skill_words(skills: Any, labels: Labels) -> list[str]:
    words: list[str] = []
    for skill in _refs(skills):
        words.append(skill.get("text") or "")
        words.append(labels.skills.get(skill.get("uri") or "", ""))
    return _unique(words)


def _occupation_words(refs: Iterable[Mapping[str, Any]], labels: Labels, *, text_key: str = "text",
                      uri_key: str = "uri") -> list[str]:
    words: list[str] = []
    for ref in refs:
        words.append(ref.get(text_key) or "")
        words.append(labels.occupations.get(ref.get(uri_key) or "", ""))
    return _unique(words)


def _lines(*pairs: tuple[str, str | list[str]]) -> str:
    """'Heading: a, b' lines for the non-empty values; a heading of '' writes the value alone."""
    lines = []
    for heading, value in pairs:
        content = ", ".join(value) if isinstance(value, list) else _clean(value)
        if content:
            lines.append(f"{heading}: {content}" if heading else content)
    return "\n".join(lines)


def citizen_text(row: Row, labels: Labels) -> str:
    """Skills, experience, wishes and education; never reference, postcode, limitations or needs."""
    wishes: Mapping[str, Any] = row.get("wishes") or {}
    education = row.get("education_level")
    industries = _unique(industry_label(code) or "" for code in wishes.get("industries") or [])
    return _lines(
        ("Kompetencer", _skill_words(row.get("skills"), labels)),
        ("Erfaring", _occupation_words(_refs(row.get("experience")), labels, text_key="title",
                                       uri_key="occupation_uri")),
        ("Ønsket arbejde", _occupation_words(_refs(wishes.get("occupations")), labels)),
        ("Ønskede brancher", industries),
        ("Ønsker", _clean(wishes.get("text"))),
        ("Uddannelse", EDUCATION_DA.get(education, "") if education else ""),
    )


def opening_text(row: Row, labels: Labels) -> str:
    """Title, occupation, description and skills of an opening."""
    occupation = labels.occupations.get(row.get("occupation_uri") or "", "")
    return _lines(
        ("", _clean(row.get("title"))),
        ("Stilling", occupation if occupation.casefold() != _clean(row.get("title")).casefold() else ""),
        ("", _clean(row.get("description"))),
        ("Kompetencer", _skill_words(row.get("skills"), labels)),
    )


def employer_text(row: Row) -> str:
    """Name, industry, description and what the employer offers, in Danish words."""
    offers = [word for column, word in (
        ("offers_mentor", "mentor"),
        ("offers_reduced_hours", "nedsat tid"),
        ("offers_flexible_hours", "fleksible arbejdstider"),
        ("offers_gradual_start", "gradvis opstart"),
    ) if row.get(column)]
    offers += [_clean(str(tag).replace("_", " ")) for tag in row.get("accommodations") or []]
    demands = PHYSICAL_DEMANDS_DA.get(row.get("physical_demands") or "", "")
    return _lines(
        ("", _clean(row.get("name"))),
        ("Branche", industry_label(row.get("industry")) or ""),
        ("", _clean(row.get("description"))),
        ("Tilbyder", _unique(offers)),
        ("Fysiske krav", demands),
    )


def entity_text(kind: EntityKind, row: Row, labels: Labels) -> str:
    if kind is EntityKind.CITIZEN:
        return citizen_text(row, labels)
    if kind is EntityKind.OPENING:
        return opening_text(row, labels)
    return employer_text(row)


def references(kind: EntityKind, rows: Iterable[Row]) -> References:
    """The ESCO URIs the rows' texts need labels for."""
    occupations: set[str] = set()
    skills: set[str] = set()
    for row in rows:
        if kind is EntityKind.EMPLOYER:
            continue
        skills.update(ref["uri"] for ref in _refs(row.get("skills")) if ref.get("uri"))
        if kind is EntityKind.OPENING:
            if row.get("occupation_uri"):
                occupations.add(row["occupation_uri"])
            continue
        wishes: Mapping[str, Any] = row.get("wishes") or {}
        occupations.update(ref["uri"] for ref in _refs(wishes.get("occupations")) if ref.get("uri"))
        occupations.update(ref["occupation_uri"] for ref in _refs(row.get("experience"))
                           if ref.get("occupation_uri"))
    return References(frozenset(occupations), frozenset(skills))


def content_hash(text: str, encoder_id: str) -> str:
    """32 hex characters identifying this text as encoded by this encoder."""
    return hashlib.blake2b(f"{encoder_id}\n{text}".encode(), digest_size=16).hexdigest()
