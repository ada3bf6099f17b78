"""One log format for the web service, the scheduler and the `boneline` command."""

from __future__ import annotations

import logging
import re

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Control characters a log line cannot carry safely (NUL truncates lines in some collectors; a
# carriage return could fake a line); tabs and the newlines of a traceback stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def printable(text: str) -> str:
    """`text` with control characters and lone surrogates written as escapes (`\\x00`)."""
    text = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class PrintableFormatter(logging.Formatter):
    """The one format, with every line made printable (a path a client sent can hold NUL)."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then escape what a log cannot hold."""
        return printable(super().format(record))


def configure_logging(level: int = logging.INFO) -> None:
    """Log INFO and up to stderr in one format, unless the host has set up logging already.

    Under gunicorn nothing else would show the service's own lines (a text answered, a webhook
    refused): gunicorn configures only its own loggers.
    """
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
