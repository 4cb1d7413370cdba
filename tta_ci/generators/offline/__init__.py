"""The offline backend: tests without an LLM, from the code itself."""
