"""Texts in Dutch and English.

Reports are Dutch by default and English on request. Definitions give a text either as a plain
string (used for both languages) or as a mapping with ``nl`` and optionally ``en``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")


@dataclass(frozen=True)
class LocalText:
    """A text with a Dutch and an optional English version.

    Examples
    --------
    >>> t = LocalText.parse({"nl": "Voormeting", "en": "Baseline"})
    >>> t.get("en"), t.get("nl")
    ('Baseline', 'Voormeting')
    >>> LocalText.parse("Rotterdam-Zuid").get("en")
    'Rotterdam-Zuid'
    """

    nl: str
    en: str | None = None

    @classmethod
    def parse(cls, value: Any, default: str | None = None) -> LocalText | None:
        """Build from a string or an ``{nl, en}`` mapping; ``None`` gives ``default`` or None."""
        if value is None:
            return cls(default) if default is not None else None
        if isinstance(value, str):
            return cls(value, value)
        return cls(str(value["nl"]), value.get("en"))

    def get(self, language: Language = "nl") -> str:
        """The text in ``language``, falling back to Dutch where no English is given."""
        if language == "en" and self.en:
            return self.en
        return self.nl
