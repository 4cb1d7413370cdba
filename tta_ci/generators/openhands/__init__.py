"""The OpenHands backend: an agent per task, each conversation in its own worker process."""
