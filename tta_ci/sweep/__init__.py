"""The ``tta-ci sweep`` feature: the repository's untested public functions, instead of a diff."""
