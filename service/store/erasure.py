"""Erasing a person (DELETE / BORRAR): each table's own writer removes what it holds.

Everything goes but the consent log, which the law asks us to keep; red flags keep only what
counts them. This module writes no table itself.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store import escalations, messages, planned, subscribers

# What erasing a person removes, table by table (the subscriber row itself goes last).
ERASERS: tuple[Callable[[sa.Connection | Session, str], None], ...] = (
    messages.erase_by_phone,
    planned.erase_by_phone,
    escalations.erase_by_phone,
    subscribers.delete_by_phone,
)


def erase_person(connection: sa.Connection | Session, phone: str) -> None:
    """Erase what we hold about a number except its consent log."""
    for erase in ERASERS:
        erase(connection, phone)
