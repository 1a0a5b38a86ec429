"""The rules: their data from ``rules/``, selection by id, and their generated docs."""
