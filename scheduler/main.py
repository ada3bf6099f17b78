"""Entry point of the scheduler process."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def main() -> None:
    """Start the scheduler (reminders arrive with the reminders issue; nothing is due yet)."""
    logging.basicConfig(level=logging.INFO)
    log.info("scheduler has no jobs yet")
