"""Checks on Danish identifiers shared by the schemas: CVR numbers and CPR-like strings."""

import re

_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
# DDMMYY optionally followed by '-' or a space, then four digits; not part of a longer number.
_CPR_PATTERN = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}[- ]?\d{4}(?!\d)")


def is_valid_cvr(cvr: str) -> bool:
    """A CVR number is 8 digits, not starting with 0, whose weighted sum is divisible by 11."""
    if len(cvr) != 8 or not (cvr.isascii() and cvr.isdigit()) or cvr[0] == "0":  # isdigit alone allows "１"
        return False
    return sum(int(digit) * weight for digit, weight in zip(cvr, _CVR_WEIGHTS, strict=True)) % 11 == 0


def looks_like_cpr(text: str) -> bool:
    """True when the text contains something shaped like a CPR number (a date and four digits)."""
    return _CPR_PATTERN.search(text) is not None
