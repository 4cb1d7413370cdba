"""The pre-commit feature: the cheap no-op path, the staged-change run, where tests are written,
and the coverage check."""
