"""The validator: sandboxed, strict, batched runs of generated tests."""

from __future__ import annotations

__all__: list[str] = []
