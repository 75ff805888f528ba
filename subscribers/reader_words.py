"""Words a reader is shown from code: a catalogue message and its values, said by the page."""

from __future__ import annotations

from collections.abc import Mapping


class Words:
    """A message of the catalogue (templates/locales, extracted by `pybabel extract -k Words`)
    with its values. The page translates it into its list's language and fills the values in,
    escaped (the `say` filter of digest/web/pages.py); str() is the English, for logs."""

    __slots__ = ("text", "values")

    def __init__(self, text: str, /, **values: str | int) -> None:
        self.text = text  # the msgid: %(name)s for a value, %% for a percent sign
        self.values: Mapping[str, str | int] = values

    def __str__(self) -> str:
        return self.text % self.values

    def __repr__(self) -> str:
        return f"Words({self.text!r}, **{dict(self.values)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Words) and (self.text, self.values) == (other.text, other.values)

    def __hash__(self) -> int:
        return hash((self.text, tuple(sorted(self.values.items()))))
