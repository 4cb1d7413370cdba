"""Logging for the command line: one stderr handler that never prints a secret."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from tta_ci.core.secrets import Redactor

__all__ = ["RedactingFilter", "setup_logging"]


class RedactingFilter(logging.Filter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        return True


def setup_logging(*, verbose: bool, environ: Mapping[str, str]) -> None:
    logger = logging.getLogger("tta_ci")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter(Redactor.from_env(environ)))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
