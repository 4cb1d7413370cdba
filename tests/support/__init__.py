"""Helpers shared by the tests (importable as ``support``: pyproject puts tests/ on sys.path).

The data folders beside the tests, named once here so that a test file can move without its
paths changing.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
CASSETTES = TESTS / "cassettes"
CORPUS = TESTS / "corpus"
EVENTS = TESTS / "fixtures" / "events"
