"""Read the taxonomy package data (ESCO v1.1.1, Danish labels, DISCO-08, Danish job-ad sentences).

The files in `taxonomy/data/` are built by `tools/build_taxonomy_data.py` and committed. Loaders are
cached; each call returns a fresh list over shared frozen records, so callers may sort or filter freely.
Further ESCO label languages can be merged from a directory of ESCO-format `occupations_<lang>.csv` /
`skills_<lang>.csv` files (see `load_occupations` / `load_skills`).
"""

import csv
import functools
import gzip
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
ESCO_VERSION = "1.1.1"
LIST_SEPARATOR = "|"
DATA_FILES = (
    "occupations.tsv.gz",
    "skills.tsv.gz",
    "occupation_skills.tsv.gz",
    "occupation_broader.tsv.gz",
    "isco_groups.tsv.gz",
    "disco_titles.tsv.gz",
    "job_ad_sentences_da.tsv.gz",
)
_EXTRA_LABEL_FILE = re.compile(r"^(occupations|skills)_([a-z]{2,3}(?:-[a-z]+)?)\.csv$", re.IGNORECASE)


class TaxonomyDataMissingError(FileNotFoundError):
    """A package data file is missing; the message names it and how to rebuild it."""


@dataclass(frozen=True)
class Occupation:
    """An ESCO occupation. `labels_da` has the preferred Danish label first and may be empty;
    `extra_labels` holds labels from further languages merged in from label files."""

    uri: str
    isco_group: str
    label_en: str
    alt_labels_en: tuple[str, ...]
    labels_da: tuple[str, ...]
    description_en: str
    extra_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skill:
    """An ESCO skill or knowledge concept; `description_en` is truncated to about 300 characters."""

    uri: str
    label_en: str
    alt_labels_en: tuple[str, ...]
    skill_type: str
    reuse_level: str
    description_en: str
    extra_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class OccupationSkill:
    occupation_uri: str
    skill_uri: str
    relation: str  # 'essential' | 'optional'


@dataclass(frozen=True)
class IscoGroup:
    code: str
    label_en: str
    label_da: str | None
    parent_code: str | None


@dataclass(frozen=True)
class DiscoTitle:
    code: str  # 4 to 6 digits
    title_da: str
    isco_group: str  # the first 4 digits


@dataclass(frozen=True)
class OccupationBroader:
    """`occupation_uri` is a narrower ESCO occupation of `broader_uri` (occupation to occupation)."""

    occupation_uri: str
    broader_uri: str


def _data_path(name: str) -> Path:
    path = DATA_DIR / name
    if not path.is_file():
        raise TaxonomyDataMissingError(
            f"taxonomy package data file {path} is missing; run `python tools/build_taxonomy_data.py` "
            "from the project root to rebuild taxonomy/data/"
        )
    return path


def _rows(name: str) -> Iterator[dict[str, str]]:
    with gzip.open(_data_path(name), "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t")


def _split(field: str) -> tuple[str, ...]:
    return tuple(field.split(LIST_SEPARATOR)) if field else ()


def _unique(labels: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(label for label in labels if label))


@functools.cache
def _extra_labels(directory: Path, kind: str) -> dict[str, dict[str, list[str]]]:
    """Labels per concept URI and language from ESCO-format `<kind>_<lang>.csv` files, preferred first."""
    labels: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for path in sorted(directory.glob("*.csv")):
        match = _EXTRA_LABEL_FILE.match(path.name)
        if not match or match.group(1).lower() != kind:
            continue
        language = match.group(2).lower()
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                uri = row.get("conceptUri", "")
                preferred = " ".join(row.get("preferredLabel", "").split())
                alternatives = [" ".join(line.split()) for line in row.get("altLabels", "").splitlines()]
                found = [label for label in [preferred, *alternatives] if label]
                if uri and found:
                    labels[uri].setdefault(language, []).extend(found)
    return dict(labels)


@functools.cache
def _occupations(extra_labels_dir: Path | None) -> tuple[Occupation, ...]:
    extra = _extra_labels(extra_labels_dir, "occupations") if extra_labels_dir else {}
    occupations = []
    for row in _rows("occupations.tsv.gz"):
        labels_da = list(_split(row["labels_da"]))
        others: list[str] = []
        for language, labels in extra.get(row["uri"], {}).items():
            if language == "da":
                labels_da = labels[:1] + labels_da + labels[1:]  # the file's preferred label leads
            elif language != "en":
                others.extend(labels)
        occupations.append(Occupation(
            uri=row["uri"],
            isco_group=row["isco_group"],
            label_en=row["label_en"],
            alt_labels_en=_split(row["alt_labels_en"]),
            labels_da=_unique(labels_da),
            description_en=row["description_en"],
            extra_labels=_unique(others),
        ))
    return tuple(occupations)


def load_occupations(extra_labels_dir: Path | None = None) -> list[Occupation]:
    """All 3,007 ESCO occupations. With `extra_labels_dir`, labels from `occupations_<lang>.csv` files
    there are merged in: Danish into `labels_da`, other languages into `extra_labels`."""
    return list(_occupations(extra_labels_dir))


@functools.cache
def _skills(extra_labels_dir: Path | None) -> tuple[Skill, ...]:
    extra = _extra_labels(extra_labels_dir, "skills") if extra_labels_dir else {}
    return tuple(
        Skill(
            uri=row["uri"],
            label_en=row["label_en"],
            alt_labels_en=_split(row["alt_labels_en"]),
            skill_type=row["skill_type"],
            reuse_level=row["reuse_level"],
            description_en=row["description_en"],
            extra_labels=_unique([
                label
                for language, labels in extra.get(row["uri"], {}).items()
                if language != "en"
                for label in labels
            ]),
        )
        for row in _rows("skills.tsv.gz")
    )


def load_skills(extra_labels_dir: Path | None = None) -> list[Skill]:
    """All 13,896 ESCO skills. With `extra_labels_dir`, labels from `skills_<lang>.csv` files there
    (for example ESCO's `skills_da.csv`) are merged into `extra_labels`."""
    return list(_skills(extra_labels_dir))


@functools.cache
def _occupation_skills() -> tuple[OccupationSkill, ...]:
    return tuple(
        OccupationSkill(row["occupation_uri"], row["skill_uri"], row["relation"])
        for row in _rows("occupation_skills.tsv.gz")
    )


def load_occupation_skills() -> list[OccupationSkill]:
    """Occupation → skill links, `relation` 'essential' or 'optional'."""
    return list(_occupation_skills())


@functools.cache
def _occupation_broader() -> tuple[OccupationBroader, ...]:
    return tuple(
        OccupationBroader(row["occupation_uri"], row["broader_uri"])
        for row in _rows("occupation_broader.tsv.gz")
    )


def load_occupation_broader() -> list[OccupationBroader]:
    """Occupation → broader occupation links (ESCO's occupation hierarchy below the ISCO groups)."""
    return list(_occupation_broader())


@functools.cache
def _isco_groups() -> tuple[IscoGroup, ...]:
    return tuple(
        IscoGroup(row["code"], row["label_en"], row["label_da"] or None, row["parent_code"] or None)
        for row in _rows("isco_groups.tsv.gz")
    )


def load_isco_groups() -> list[IscoGroup]:
    """ISCO-08 groups at all four levels, with parent codes and Danish labels where ESCO has them."""
    return list(_isco_groups())


@functools.cache
def _disco_titles() -> tuple[DiscoTitle, ...]:
    return tuple(
        DiscoTitle(row["code"], row["title_da"], row["isco_group"]) for row in _rows("disco_titles.tsv.gz")
    )


def load_disco_titles() -> list[DiscoTitle]:
    """DISCO-08 codes of 4 to 6 digits with Danish titles, joined to ISCO-08 by their first 4 digits."""
    return list(_disco_titles())


@functools.cache
def _job_ad_rows() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    return tuple(
        (row["sentence"], _split(row["skill_spans"]), _split(row["knowledge_spans"]))
        for row in _rows("job_ad_sentences_da.tsv.gz")
    )


def load_job_ad_sentences_da() -> list[str]:
    """Danish job-posting sentences (Kompetencer training split), detokenised."""
    return [sentence for sentence, _, _ in _job_ad_rows()]


def load_job_ad_skill_spans_da() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Danish job-posting sentences with their annotated (skill spans, knowledge spans)."""
    return list(_job_ad_rows())


@functools.cache
def data_version() -> str:
    """'esco-1.1.1+<hash>' where the hash covers the bytes of every package data file."""
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(name.encode())
        digest.update(_data_path(name).read_bytes())
    return f"esco-{ESCO_VERSION}+{digest.hexdigest()[:10]}"


__all__ = [
    "DiscoTitle",
    "IscoGroup",
    "Occupation",
    "OccupationBroader",
    "OccupationSkill",
    "Skill",
    "TaxonomyDataMissingError",
    "data_version",
    "load_disco_titles",
    "load_isco_groups",
    "load_job_ad_sentences_da",
    "load_job_ad_skill_spans_da",
    "load_occupation_broader",
    "load_occupation_skills",
    "load_occupations",
    "load_skills",
]
