"""The CSV export of a run's suggestions: Danish column names, UTF-8 with a byte-order mark so that
Excel recognises the encoding, `;` as separator by default (what Danish Excel expects, with decimal
commas) or `,` (with decimal points)."""

import csv
import io
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from core.vocab import SCHEME_LABELS_DA, Scheme

BOM = "\ufeff"

COLUMNS: tuple[str, ...] = (
    "Uge", "Konsulent", "Borgerreference", "Rang", "Virksomhed", "By", "Stilling", "Ordning", "Score",
    "Afstand (km)", "Begrundelse", "Forbehold", "Modelversion", "Borger-id", "Virksomheds-id", "Stillings-id",
)


class Separator(StrEnum):
    SEMICOLON = "semicolon"
    COMMA = "comma"

    @property
    def char(self) -> str:
        return ";" if self is Separator.SEMICOLON else ","


def _number(value: float | None, decimals: int, separator: Separator) -> str:
    if value is None:
        return ""
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if separator is Separator.SEMICOLON else text


def render(rows: Iterable[Any], *, week: str, separator: Separator) -> str:
    """The whole file as text (BOM first); `rows` are repository.export_suggestions records."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=separator.char, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        warnings = " ".join(str(item.get("text", "")) for item in row["warnings"] or [])
        writer.writerow([
            week, row["consultant_name"] or "", row["citizen_reference"], row["rank"], row["employer_name"],
            row["city"], row["opening_title"] or "", SCHEME_LABELS_DA[Scheme(row["scheme"])],
            _number(row["score"], 4, separator), _number(row["commute_km"], 1, separator),
            row["explanation"] or "", warnings, row["scorer_version"], row["citizen_id"], row["employer_id"],
            row["opening_id"] or "",
        ])
    return buffer.getvalue()
