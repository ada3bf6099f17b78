"""Column types every stored string goes through: text the database can hold, on every backend.

PostgreSQL's `text` and `varchar` cannot hold NUL (U+0000): an INSERT with one fails, a webhook
answers 500 and Twilio retries it for ever. A lone surrogate (U+D800-U+DFFF) cannot be encoded as
UTF-8 at all. SQLite accepts both, so a bug would hide there. Every string column is declared
with these types (`models.py`), so every write and every comparison, from any module, stores the
same cleaned text on SQLite and PostgreSQL alike. The webhooks clean what people write the same
way as they read it, so what we answer is what we store.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect

from service.words.normalize import REPLACEMENT, storable

__all__ = ["REPLACEMENT", "CleanString", "CleanText", "storable"]


class CleanString(sa.TypeDecorator[str]):
    """A VARCHAR whose values are made storable before they reach the database."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Clean text on its way in (parameters of INSERT, UPDATE and WHERE alike)."""
        return storable(value) if isinstance(value, str) else value

    def process_literal_param(self, value: Any, dialect: Dialect) -> Any:
        """Clean a value rendered into SQL text (offline migrations)."""
        return storable(value) if isinstance(value, str) else value

    @property
    def python_type(self) -> type[str]:
        """Values are Python strings."""
        return str


class CleanText(CleanString):
    """A TEXT whose values are made storable before they reach the database."""

    impl = sa.Text
    cache_ok = True
