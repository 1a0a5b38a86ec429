"""The repository model: its apps (Fly configs with the Dockerfile and code each ships),
the facts rules gather from files other than the one they report on, and the
configuration that applies to each file."""
