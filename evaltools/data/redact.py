"""Keeping identifier-like values out of problem tables and messages.

A wave file's problems quote the offending value, so that a user can find it. When the value is
an identifier (a column mapped twice, swapped labels, an e-mail address typed into the site
column), quoting it would copy personal data into ``store/validation/`` and the terminal.
:func:`redact_problems` replaces e-mail addresses, numbers that pass the BSN eleven test and
phone numbers by a placeholder that says what kind of value was hidden.
"""

from __future__ import annotations

import dataclasses
import re

from evaltools.core.errors import Problem

__all__ = ["redact", "redact_problems", "is_bsn", "HIDDEN"]

HIDDEN = "(hidden: looks like {})"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.,+-])(?:\+31|0031|0)[ \-]?(?:\(0\)[ \-]?)?(?:\d[ \-]?){8}\d"
                    r"(?![\w.,])")
_DIGITS = re.compile(r"(?<![\w.,])\d{8,9}(?![\w.,])")


def is_bsn(digits: str) -> bool:
    """Whether 8 or 9 digits pass the BSN eleven test (``elfproef``).

    Examples
    --------
    >>> is_bsn("111222333"), is_bsn("123456789"), is_bsn("12345678")
    (True, False, False)
    """
    if not digits.isdigit() or len(digits) not in (8, 9) or set(digits) == {"0"}:
        return False
    digits = digits.zfill(9)
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def redact(text):
    """``text`` with identifier-like parts replaced (other values returned unchanged).

    Examples
    --------
    >>> redact("unknown site 'jan@example.nl'")
    "unknown site '(hidden: looks like an e-mail address)'"
    >>> redact("06-12345678"), redact("111222333"), redact("4")
    ('(hidden: looks like a phone number)', '(hidden: looks like a BSN)', '4')
    """
    if not isinstance(text, str):
        return redact(str(text)) if isinstance(text, int) and not isinstance(text, bool) \
            and redact(str(text)) != str(text) else text
    text = _EMAIL.sub(HIDDEN.format("an e-mail address"), text)
    text = _DIGITS.sub(lambda m: HIDDEN.format("a BSN") if is_bsn(m.group()) else m.group(),
                       text)
    return _PHONE.sub(HIDDEN.format("a phone number"), text)


def redact_problems(problems: list[Problem]) -> list[Problem]:
    """The problems with identifier-like values hidden in value, location and message."""
    return [dataclasses.replace(p, found=redact(p.found), location=redact(p.location),
                                message=redact(p.message), expected=redact(p.expected))
            for p in problems]
