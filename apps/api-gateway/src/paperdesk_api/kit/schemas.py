"""Pydantic base schema and shared field types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._/:-]{0,31}$")


class Schema(BaseModel):
    """Base of every API schema: reads ORM objects, rejects unknown-type coercion surprises."""

    model_config = ConfigDict(from_attributes=True)


def _no_control_chars(value: str) -> str:
    # PostgreSQL refuses NUL in text; other control characters are never meant in a name.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _symbol(value: str) -> str:
    value = value.strip().upper()
    if not SYMBOL_RE.fullmatch(value):
        raise ValueError("not a valid symbol")
    return value


def is_symbol(value: str) -> bool:
    """Tell whether a string (already upper-cased) has the shape of a symbol."""
    return bool(SYMBOL_RE.fullmatch(value))


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_no_control_chars),
]
Text = Annotated[str, AfterValidator(_no_control_chars)]
Symbol = Annotated[str, StringConstraints(max_length=64), AfterValidator(_symbol)]
