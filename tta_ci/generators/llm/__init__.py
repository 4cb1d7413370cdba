"""The LLM backend: OpenAI-compatible chat completions (OpenRouter by default), the model
catalog and selector, prompts, and the wire format."""
