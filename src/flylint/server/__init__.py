"""``flylint server``: a language server (LSP over stdio) that publishes flylint's
findings for fly.toml files, Dockerfiles and Python files as they are opened, edited and
saved, each with a link to its rule's page. The buffer's text is linted as it is, judged
by the model of its repository as saved on disk (like ``--stdin-filename``); when a file
it depends on is saved or changes on disk, every open document is linted again. Edits
are debounced and linted in a worker thread, the newest text only (``scheduler``).

Whatever a client sends, every open document of the ``file`` scheme gets an outcome: its
findings, or one diagnostic saying why it is not linted (a file name the OS cannot hold,
text no UTF-8 file can hold, over ``MAX_FILE_BYTES``, an exception while linting it).
Nothing pops up but configuration errors, and the server keeps serving. Its own reader
takes the place of pygls's (``framing``). Every text sent to the client and every line
logged to stderr goes through ``masking.redact``.
"""
