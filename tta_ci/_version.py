"""The version of tta-ci (a leaf: imports nothing)."""

__version__ = "0.1.0"
