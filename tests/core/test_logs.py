"""tta_ci.core.logs: the one stderr handler of the command line, which never prints a secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tta_ci.core.logs import RedactingFilter, setup_logging
from tta_ci.core.secrets import Redactor

SECRET = "sk-or-v1-logged-secret"


@pytest.fixture
def tta_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("tta_ci")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved


def test_filter_redacts_the_formatted_message() -> None:
    record = logging.LogRecord("tta_ci", logging.INFO, __file__, 1, "key %s, count %d",
                               (SECRET, 3), None)
    assert RedactingFilter(Redactor([SECRET])).filter(record) is True
    assert (record.msg, record.args) == ("key ***, count 3", None)
    assert record.getMessage() == "key ***, count 3"


@pytest.mark.parametrize(("verbose", "level"), [(True, logging.DEBUG), (False, logging.INFO)])
def test_setup_logging_writes_redacted_messages_to_stderr(
    tta_logger: logging.Logger, capsys: pytest.CaptureFixture[str], verbose: bool, level: int
) -> None:
    setup_logging(verbose=verbose, environ={"OPENROUTER_API_KEY": SECRET})
    assert tta_logger.level == level and tta_logger.propagate is False
    logging.getLogger("tta_ci.engine").info("using %s", SECRET)
    logging.getLogger("tta_ci.engine").debug("details")
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("using ***\ndetails\n" if verbose else "using ***\n")


def test_setup_logging_twice_keeps_one_handler(tta_logger: logging.Logger) -> None:
    setup_logging(verbose=False, environ={})
    setup_logging(verbose=True, environ={})
    assert len(tta_logger.handlers) == 1
