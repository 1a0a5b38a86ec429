"""Small utilities with no knowledge of Fly.io: records, lazy regexes, globs, TOML loading."""
