"""One log format for the web service, the scheduler and the `boneline` command."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Log INFO and up to stderr in one format, unless the host has set up logging already.

    Under gunicorn nothing else would show the service's own lines (a text answered, a webhook
    refused): gunicorn configures only its own loggers.
    """
    logging.basicConfig(level=level, format=LOG_FORMAT)
