"""One lint run: the files, their repository models, cached results, suppressions."""
