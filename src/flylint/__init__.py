"""flylint: a static security linter for apps deployed on Fly.io."""

__version__ = "0.1.0"
