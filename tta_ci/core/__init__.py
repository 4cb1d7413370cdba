"""The shared vocabulary of tta-ci: configuration, errors, stage values, the metrics document,
path and line-range rules, secrets and logging. Imports nothing else of tta-ci, and nothing
heavy at package import (the pre-commit hook's no-op path goes through here)."""
