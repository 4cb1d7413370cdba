"""A tiny shop: prices are integers in cents."""
