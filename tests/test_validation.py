"""Danish identifiers: CVR check digits and CPR-shaped strings."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.validation import is_valid_cvr, looks_like_cpr
from tests.factories import VALID_CVRS

WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


@pytest.mark.parametrize("cvr", VALID_CVRS)
def test_known_valid_cvrs(cvr: str) -> None:
    assert is_valid_cvr(cvr)


@pytest.mark.parametrize("cvr", [
    "10150818",  # check digit off by one
    "1015081",  # seven digits
    "101508170",  # nine digits
    "01015081",  # leading zero
    "1015081X",  # a letter
    "1015 0817",  # a space
    "",
    "00000000",  # sums to zero but starts with 0
    "１０１５０８１７",  # full-width digits are digits to str.isdigit, not to CVR
])
def test_invalid_cvrs(cvr: str) -> None:
    assert not is_valid_cvr(cvr)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8).filter(lambda cvr: cvr[0] != "0"))
def test_cvr_is_valid_exactly_when_the_weighted_sum_divides_by_11(cvr: str) -> None:
    weighted = sum(int(digit) * weight for digit, weight in zip(cvr, WEIGHTS, strict=True))
    assert is_valid_cvr(cvr) == (weighted % 11 == 0)


@given(st.sampled_from(VALID_CVRS), st.integers(0, 7), st.integers(1, 9))
def test_changing_any_one_digit_of_a_valid_cvr_invalidates_it(cvr: str, position: int, change: int) -> None:
    digit = (int(cvr[position]) + change) % 10
    mutated = cvr[:position] + str(digit) + cvr[position + 1:]
    assert not is_valid_cvr(mutated)


@given(st.sampled_from(VALID_CVRS), st.integers(0, 6))
def test_swapping_adjacent_digits_of_a_valid_cvr_invalidates_it(cvr: str, position: int) -> None:
    swapped = cvr[:position] + cvr[position + 1] + cvr[position] + cvr[position + 2:]
    if swapped != cvr:
        assert not is_valid_cvr(swapped)


@pytest.mark.parametrize("text", [
    "010190-1234", "0101901234", "010190 1234", "CPR: 311299-4321", "ref/0101901234", "x0101901234y",
])
def test_cpr_shaped_text_is_found(text: str) -> None:
    assert looks_like_cpr(text)


@pytest.mark.parametrize("text", [
    "BRG-2026-00412",  # a case reference
    "320190-1234",  # day 32
    "001290-1234",  # day 0
    "011390-1234",  # month 13
    "010090-1234",  # month 0
    "010190-123",  # three digits after the date
    "10101901234",  # part of an 11-digit number
    "01019012345",  # part of an 11-digit number
    "tlf. 12 34 56 78",  # a phone number
    "",
])
def test_other_text_is_not_cpr(text: str) -> None:
    assert not looks_like_cpr(text)


@given(st.integers(1, 28), st.integers(1, 12), st.integers(0, 99), st.integers(0, 9999),
       st.sampled_from(["", "-", " "]))
def test_every_date_shaped_cpr_is_found(day: int, month: int, year: int, serial: int, separator: str) -> None:
    assert looks_like_cpr(f"ref {day:02d}{month:02d}{year:02d}{separator}{serial:04d} end")
