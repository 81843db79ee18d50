"""Package data in taxonomy/data agrees with the source files in ../shared/data."""

import csv
from pathlib import Path

import pytest

from taxonomy import package_data

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data"
CARPENTER = "http://data.europa.eu/esco/occupation/2a22ff9e-de3b-408d-b312-5034896cc4f4"


def read_source(relative: str, delimiter: str = ",") -> list[dict[str, str]]:
    with open(SOURCE / relative, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_occupations_match_esco_source() -> None:
    source = {row["conceptUri"]: row for row in read_source("esco/occupations_en.csv")}
    occupations = package_data.load_occupations()
    assert len(occupations) == len(source) == 3007
    for occupation in occupations:
        assert occupation.isco_group == source[occupation.uri]["iscoGroup"]
        assert len(occupation.isco_group) == 4
        assert occupation.label_en == " ".join(source[occupation.uri]["preferredLabel"].split())


def test_known_occupation_has_danish_preferred_label_first() -> None:
    carpenter = next(item for item in package_data.load_occupations() if item.uri == CARPENTER)
    assert carpenter.label_en == "carpenter"
    assert carpenter.labels_da[0] == "tømrer"
    assert "joiner" in carpenter.alt_labels_en
    assert carpenter.description_en.startswith("Carpenters cut")


def test_danish_labels_cover_the_source_file() -> None:
    occupation_uris = {item.uri for item in package_data.load_occupations()}
    source = read_source("esco-da/occupation_labels_da.tsv", delimiter="\t")
    expected = {row["concept_uri"] for row in source if row["concept_uri"] in occupation_uris}
    with_danish = {item.uri for item in package_data.load_occupations() if item.labels_da}
    assert with_danish == expected
    assert len(with_danish) > 2900


def test_skills_and_relations_match_esco_source() -> None:
    skills = package_data.load_skills()
    assert len(skills) == len(read_source("esco/skills_en.csv")) == 13896
    assert all(len(skill.description_en) <= 301 for skill in skills)
    relations = package_data.load_occupation_skills()
    source = read_source("esco/occupationSkillRelations.csv")
    assert len(relations) == len(source)
    assert {item.relation for item in relations} == {"essential", "optional"}
    essential = sum(row["relationType"] == "essential" for row in source)
    assert sum(item.relation == "essential" for item in relations) == essential
    skill_uris = {skill.uri for skill in skills}
    occupation_uris = {item.uri for item in package_data.load_occupations()}
    assert all(item.skill_uri in skill_uris for item in relations)
    # The ESCO export links a few occupations that are not in occupations_en.csv; we keep them as-is.
    dangling = sum(row["occupationUri"] not in occupation_uris for row in source)
    assert sum(item.occupation_uri not in occupation_uris for item in relations) == dangling < 100


def test_isco_hierarchy_and_disco_titles() -> None:
    groups = {group.code: group for group in package_data.load_isco_groups()}
    assert len(groups) == 619
    assert groups["7115"].parent_code == "711"
    assert groups["0"].parent_code is None
    assert all(group.parent_code is None or group.parent_code in groups for group in groups.values())
    occupation_groups = {item.isco_group for item in package_data.load_occupations()}
    assert occupation_groups <= set(groups)
    titles = package_data.load_disco_titles()
    assert all(4 <= len(title.code) <= 6 and title.isco_group == title.code[:4] for title in titles)
    assert any(title.title_da.startswith("Tømrer") for title in titles)


def test_job_ad_sentences_are_plain_danish_text() -> None:
    sentences = package_data.load_job_ad_sentences_da()
    assert len(sentences) > 200
    assert all(sentence and "\t" not in sentence for sentence in sentences)
    spans = package_data.load_job_ad_skill_spans_da()
    assert any("arbejde med børn" in span for _, skills, _ in spans for span in skills)


def test_data_version_names_esco_release() -> None:
    version = package_data.data_version()
    assert version.startswith("esco-1.1.1+") and len(version) == len("esco-1.1.1+") + 10


def test_extra_label_languages_are_merged(tmp_path: Path) -> None:
    (tmp_path / "occupations_da.csv").write_text(
        f'conceptUri,preferredLabel,altLabels\n{CARPENTER},tømrersvend,"træarbejder\ntømrer"\n',
        encoding="utf-8",
    )
    skill_uri = package_data.load_skills()[0].uri
    (tmp_path / "skills_sv.csv").write_text(
        f"conceptUri,preferredLabel,altLabels\n{skill_uri},svensk etikett,\n", encoding="utf-8"
    )
    carpenter = next(item for item in package_data.load_occupations(tmp_path) if item.uri == CARPENTER)
    assert carpenter.labels_da[:2] == ("tømrersvend", "tømrer")
    assert "træarbejder" in carpenter.labels_da and carpenter.labels_da.count("tømrer") == 1
    skill = next(item for item in package_data.load_skills(tmp_path) if item.uri == skill_uri)
    assert skill.extra_labels == ("svensk etikett",)


def test_missing_data_file_names_the_file_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(package_data, "DATA_DIR", tmp_path)
    expected = r"disco_titles\.tsv\.gz.*build_taxonomy_data\.py"
    with pytest.raises(package_data.TaxonomyDataMissingError, match=expected):
        package_data._disco_titles.__wrapped__()
