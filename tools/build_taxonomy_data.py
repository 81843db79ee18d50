"""Build taxonomy/data/*.tsv.gz from ../shared/data (ESCO, Danish ESCO labels, DISCO-08, Kompetencer).

Run once after the source data changes: `python tools/build_taxonomy_data.py`. The output is committed
package data, read at run time by `taxonomy.package_data`. Files are gzip TSV written with the csv
module (tab-separated, minimal quoting); list-valued columns are joined with `|`.
"""

import csv
import gzip
import io
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data"
OUT = ROOT / "taxonomy" / "data"
LIST_SEPARATOR = "|"
SKILL_DESCRIPTION_CHARS = 300
ISCO_URI_PREFIX = "http://data.europa.eu/esco/isco/C"

ATTRIBUTION = """\
# Attribution of the taxonomy package data

Built by `tools/build_taxonomy_data.py` from the files in `../shared/data`.

- **ESCO v1.1.1** (occupations, skills, occupation-skill relations, ISCO-08 groups, broader relations)
  and the Danish ESCO occupation labels: European Commission, Decision 2011/833/EU.
  This service uses the ESCO classification of the European Commission.
- **DISCO-08**, Danmarks Statistik's Danish version of ISCO-08 (codes and Danish titles):
  Danmarks Statistik, public classification.
- **Kompetencer** Danish job-posting sentences with skill and knowledge spans (training split):
  MIT licence, Zhang et al., "Kompetencer: Fine-grained Skill Classification in Danish Job Postings
  via Distant Supervision and Transfer Learning", LREC 2022.
"""


def clean(text: str) -> str:
    """Collapse whitespace (ESCO fields hold newlines) into single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def split_labels(text: str) -> list[str]:
    """ESCO packs alternative labels one per line in a single field."""
    labels = [clean(line) for line in text.splitlines()]
    return [label.replace(LIST_SEPARATOR, "/") for label in labels if label]


def join_unique(labels: Iterable[str], exclude: str = "") -> str:
    seen: dict[str, None] = {}
    for label in labels:
        if label and label != exclude:
            seen.setdefault(label, None)
    return LIST_SEPARATOR.join(seen)


def truncate(text: str, limit: int) -> str:
    text = clean(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def write_tsv(name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    count = 0
    # mtime=0 keeps the gzip bytes (and so data_version) stable across rebuilds of the same data.
    with (
        open(OUT / name, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as binary,
        io.TextIOWrapper(binary, encoding="utf-8", newline="") as text,
    ):
        writer = csv.writer(text, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    print(f"{name}: {count} rows, {(OUT / name).stat().st_size / 1e6:.2f} MB", file=sys.stderr)
    return count


def danish_labels() -> dict[str, list[str]]:
    """Danish labels per ESCO concept URI, preferred label first."""
    preferred: dict[str, list[str]] = defaultdict(list)
    other: dict[str, list[str]] = defaultdict(list)
    for row in read_csv(SOURCE / "esco-da" / "occupation_labels_da.tsv", delimiter="\t"):
        label = clean(row["label_da"]).replace(LIST_SEPARATOR, "/")
        target = preferred if row["is_preferred"] == "1" else other
        target[row["concept_uri"]].append(label)
    return {uri: preferred.get(uri, []) + other.get(uri, []) for uri in set(preferred) | set(other)}


def build_occupations(labels_da: dict[str, list[str]]) -> set[str]:
    rows = read_csv(SOURCE / "esco" / "occupations_en.csv")
    write_tsv(
        "occupations.tsv.gz",
        ["uri", "isco_group", "label_en", "alt_labels_en", "labels_da", "description_en"],
        (
            [
                row["conceptUri"],
                row["iscoGroup"],
                clean(row["preferredLabel"]),
                join_unique(split_labels(row["altLabels"]), exclude=clean(row["preferredLabel"])),
                join_unique(labels_da.get(row["conceptUri"], [])),
                clean(row["description"]),
            ]
            for row in sorted(rows, key=lambda item: item["conceptUri"])
        ),
    )
    return {row["conceptUri"] for row in rows}


def build_skills() -> None:
    rows = read_csv(SOURCE / "esco" / "skills_en.csv")
    write_tsv(
        "skills.tsv.gz",
        ["uri", "label_en", "alt_labels_en", "skill_type", "reuse_level", "description_en"],
        (
            [
                row["conceptUri"],
                clean(row["preferredLabel"]),
                join_unique(split_labels(row["altLabels"]), exclude=clean(row["preferredLabel"])),
                row["skillType"],
                row["reuseLevel"],
                truncate(row["description"], SKILL_DESCRIPTION_CHARS),
            ]
            for row in sorted(rows, key=lambda item: item["conceptUri"])
        ),
    )


def build_relations() -> None:
    rows = read_csv(SOURCE / "esco" / "occupationSkillRelations.csv")
    write_tsv(
        "occupation_skills.tsv.gz",
        ["occupation_uri", "skill_uri", "relation"],
        (
            [row["occupationUri"], row["skillUri"], row["relationType"]]
            for row in sorted(rows, key=lambda item: (item["occupationUri"], item["skillUri"]))
        ),
    )


def build_broader_occupations() -> None:
    rows = read_csv(SOURCE / "esco" / "broaderRelationsOccPillar.csv")
    write_tsv(
        "occupation_broader.tsv.gz",
        ["occupation_uri", "broader_uri"],
        (
            [row["conceptUri"], row["broaderUri"]]
            for row in sorted(rows, key=lambda item: (item["conceptUri"], item["broaderUri"]))
            if row["conceptType"] == "Occupation" and row["broaderType"] == "Occupation"
        ),
    )


def build_isco_groups(labels_da: dict[str, list[str]]) -> None:
    rows = read_csv(SOURCE / "esco" / "ISCOGroups_en.csv")
    parents: dict[str, str] = {}
    for relation in read_csv(SOURCE / "esco" / "broaderRelationsOccPillar.csv"):
        if relation["conceptType"] == "ISCOGroup" and relation["broaderType"] == "ISCOGroup":
            parents[relation["conceptUri"]] = relation["broaderUri"].removeprefix(ISCO_URI_PREFIX)
    write_tsv(
        "isco_groups.tsv.gz",
        ["code", "label_en", "label_da", "parent_code"],
        (
            [
                row["code"],
                clean(row["preferredLabel"]),
                (labels_da.get(row["conceptUri"]) or [""])[0],
                parents.get(row["conceptUri"], row["code"][:-1]),
            ]
            for row in sorted(rows, key=lambda item: item["code"])
        ),
    )


def build_disco_titles() -> None:
    rows = read_csv(SOURCE / "disco08" / "disco08_dst_nomenclature.csv", delimiter=";")
    write_tsv(
        "disco_titles.tsv.gz",
        ["code", "title_da", "isco_group"],
        (
            [row["KODE"], clean(row["TITEL"]), row["KODE"][:4]]
            for row in sorted(rows, key=lambda item: item["KODE"])
            if len(row["KODE"]) >= 4
        ),
    )


def detokenise(tokens: Sequence[str]) -> str:
    """Join CoNLL tokens back into a readable sentence (no space before closing punctuation)."""
    text = " ".join(tokens)
    text = re.sub(r" ([.,:;!?)%])", r"\1", text)
    return re.sub(r"([(]) ", r"\1", text)


def conll_sentences(path: Path) -> list[tuple[str, list[str], list[str]]]:
    """Sentences with their skill and knowledge spans; a line with an empty token ends a sentence."""
    sentences: list[tuple[str, list[str], list[str]]] = []
    tokens: list[str] = []
    spans: dict[str, list[list[str]]] = {"Skill": [], "Knowledge": []}

    def flush() -> None:
        if tokens:
            sentences.append((
                detokenise(tokens),
                [detokenise(span) for span in spans["Skill"]],
                [detokenise(span) for span in spans["Knowledge"]],
            ))
        tokens.clear()
        spans["Skill"].clear()
        spans["Knowledge"].clear()

    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            token = fields[0].strip()
            if not token:
                flush()
                continue
            tokens.append(token)
            for tag in fields[1:3]:
                if tag.startswith("B-"):
                    spans[tag[2:]].append([token])
                elif tag.startswith("I-") and spans[tag[2:]]:
                    spans[tag[2:]][-1].append(token)
    flush()
    return sentences


def build_job_ad_sentences() -> None:
    sentences = conll_sentences(SOURCE / "kompetencer" / "kompetencer_danish_train.conll")
    write_tsv(
        "job_ad_sentences_da.tsv.gz",
        ["sentence", "skill_spans", "knowledge_spans"],
        (
            [text, LIST_SEPARATOR.join(skills), LIST_SEPARATOR.join(knowledge)]
            for text, skills, knowledge in sentences
        ),
    )


def main() -> None:
    if not SOURCE.is_dir():
        sys.exit(f"source data not found at {SOURCE}")
    OUT.mkdir(parents=True, exist_ok=True)
    labels_da = danish_labels()
    build_occupations(labels_da)
    build_skills()
    build_relations()
    build_broader_occupations()
    build_isco_groups(labels_da)
    build_disco_titles()
    build_job_ad_sentences()
    (OUT / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")
    total = sum(path.stat().st_size for path in OUT.glob("*.tsv.gz"))
    print(f"total {total / 1e6:.2f} MB in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
