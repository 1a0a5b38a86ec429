"""Files and parsers: which files a run lints, reading them as text, and parsing fly.toml
files (with key locations), Dockerfiles and Python source."""
