"""Row ids and numbers in paths, `{name:row_id}`: only values a database column can hold match.

Starlette's `{name:int}` matches any digits, and an id past what the column holds failed in the
database (SQLite: past 64 bits; PostgreSQL's integer: past 31) as a 500 with a traceback. With
this converter such a path matches no route: 404, like any other id no row has.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

# The ids and issue numbers are INTEGER columns: 32-bit signed on PostgreSQL.
ROW_ID_MAX = 2**31 - 1


def digits_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers 0..limit (a few leading zeros allowed)."""
    digits = str(limit)
    shorter = f"[0-9]{{1,{len(digits) - 1}}}" if len(digits) > 1 else None
    same_length = [digits]  # the limit itself, then each number below it of as many digits
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            same_length.append(f"{digits[:i]}[0-{int(digit) - 1}][0-9]{{{rest}}}")
    # Leading zeros are bounded too: int() refuses more than 4,300 digits (a 500 otherwise).
    zeros = f"0{{0,{len(digits)}}}"
    return zeros + "(?:" + "|".join([*same_length, *([shorter] if shorter else [])]) + ")"


class RowIdConvertor(Convertor[int]):
    regex = digits_up_to(ROW_ID_MAX)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 0 <= value <= ROW_ID_MAX:
            raise ValueError(f"not a row id: {value}")
        return str(value)


# Registered once, on import: a route names it through row_id(), which imports this module.
register_url_convertor("row_id", RowIdConvertor())


def row_id(name: str) -> str:
    """The path parameter `name`, matching only ids a row can have: "{name:row_id}"."""
    return "{" + name + ":row_id}"
