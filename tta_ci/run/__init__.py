"""Composition: the one place that wires generator, validator, cache and engine (the pipeline,
the wired engine and the Python API)."""
