"""Generated and mutated inputs thrown at the whole CLI: never a traceback or an internal
error, every unparsable file a FLY000, exit codes always 0, 1 or 2.

The CI profile runs 150 inputs per test; the long profile,
``FLYLINT_FUZZ_EXAMPLES=7200``, runs about 100,000 over the 14 tests (each of them
also runs the language server on some of its inputs or lints them in three formats).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flylint.cli import main

EXAMPLES = int(os.environ.get("FLYLINT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 1000,  # CI stays reproducible; long runs explore
)

SEEDS = {
    "fly.toml": (
        'app = "shop"\n[build]\n  dockerfile = "Dockerfile"\n[build.args]\n  NPM_TOKEN = "x"\n'
        '[env]\n  DATABASE_URL = "postgres://u:Vq8rT2mLx9Fw@db.fly.dev:5432/d"\n'
        '  API_URL = "https://billing.fly.dev"\n[http_service]\n  internal_port = 8080\n'
        "  force_https = false\n[http_service.http_options.response.headers]\n"
        '  Strict-Transport-Security = "max-age=1"\n[[services]]\n  internal_port = 5432\n'
        '  [[services.ports]]\n    port = 5432\n    handlers = ["pg_tls"]\n'
    ),
    "Dockerfile": (
        "# syntax=docker/dockerfile:1\nARG NPM_TOKEN\nFROM node:20 AS build\n"
        "ENV A=1 \\\n    SMTP_PASSWORD=summer-Rain-77\nRUN <<EOF\necho hi\nEOF\n"
        "COPY .env ./\nFROM postgres:16\n"
    ),
    "app.py": (
        'import httpx as h\nimport os\nBASE = os.environ.get("B", "https://x.fly.dev")\n'
        'KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\nh.get(f"{BASE}/a")\n'
        "SECURE_HSTS_SECONDS = 0\n# flylint: ignore\n"
    ),
}
ALPHABET = st.sampled_from([*list("[]{}\"'=\\\n\r\t #.,:$<>@/"), "\x00", "\ufeff", "é", "\ud7ff"])


def _mutate(data: st.DataObject, seed: str) -> bytes:
    """The seed with a few characters inserted, deleted or duplicated, and its line
    endings perhaps changed."""
    text = seed
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:at] + data.draw(st.text(ALPHABET, max_size=5)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 10)) :]
        else:
            text = text[:at] + text[at : at + 40] * 2 + text[at + 40 :]
    raw = text.encode("utf-8", "surrogatepass")
    if data.draw(st.booleans()):
        raw = raw.replace(b"\n", data.draw(st.sampled_from([b"\r\n", b"\r", b"\n"])))
    return raw


def _run(tmp_path: Path, name: str, content: bytes, capsys) -> None:
    """Lint the file in two formats, then again from what the first runs cached."""
    target = tmp_path / name
    target.write_bytes(content)
    printed = []
    for fmt in ("concise", "sarif", "concise"):
        code = main(["check", str(tmp_path), "--format", fmt])
        captured = capsys.readouterr()
        assert code in (0, 1, 2)
        assert "internal error" not in captured.err, captured.err
        assert "Traceback" not in captured.out + captured.err
        printed.append((code, captured.out, captured.err))
    assert printed[2] == printed[0]
    target.unlink()


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_mutated_inputs_never_crash(name: str, data: st.DataObject, tmp_path: Path, capsys):
    content = _mutate(data, SEEDS[name])
    _run(tmp_path, name, content, capsys)


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes_never_crash(name: str, content: bytes, tmp_path: Path, capsys):
    _run(tmp_path, name, content, capsys)


# Names fly.toml tables and keys really use, so that generated documents reach deep into
# the schema walk (FLY001/FLY002) and the service rules with values of every wrong type.
NAMES = st.sampled_from(
    [
        "app", "http_service", "services", "ports", "port", "internal_port", "handlers",
        "force_https", "tls_options", "versions", "http_options", "response", "headers",
        "Strict-Transport-Security", "env", "build", "args", "dockerfile", "image", "checks",
        "http_checks", "concurrency", "mounts", "vm", "compute", "experimental", "processes",
        "start_port", "end_port", "x-y", "Force_HTTPS",
    ]
)  # fmt: skip
SCALARS = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.sampled_from(["http", "tls", "https", "true", "80", "TLSv1.1", "max-age=1", ""])
    # Digits str.isdigit takes and int does not: a superscript, more than int converts.
    | st.sampled_from(["²", "٣", "8" * 5000, f"max-age={'9' * 5000}"])
    | st.text(max_size=8)
)
DOCUMENTS = st.dictionaries(
    NAMES,
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=4),
        max_leaves=12,
    ),
    max_size=6,
)


@FUZZ
@given(document=DOCUMENTS)
def test_generated_fly_toml_never_crashes(document: dict, tmp_path: Path, capsys) -> None:
    import tomlkit

    _run(tmp_path, "fly.toml", tomlkit.dumps(document).encode("utf-8", "surrogatepass"), capsys)


# --- Hostile shapes: deep nesting, several secrets per line, comments, the language server

_TOKENS = {  # a credential format, and the alphabet of its random part
    "ghp_": ("ghp_", 36, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    "sk_live_": ("sk_live_", 24, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    "AKIA": ("AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
    "glpat-": ("glpat-", 20, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
}
SECRETS = st.sampled_from(sorted(_TOKENS)).flatmap(
    lambda kind: (
        st.text(_TOKENS[kind][2], min_size=_TOKENS[kind][1], max_size=_TOKENS[kind][1])
        .filter(lambda body: len(set(body)) > 8)  # not a placeholder such as "xxxx..."
        .map(lambda body, prefix=_TOKENS[kind][0]: prefix + body)
    )
)
PLACES = {  # where a user can put text, as each kind of file spells it
    "fly.toml": [
        '[env]\n  SETTINGS = {{ A = "x", TOKEN = "{0}", KEY = "{1}" }}  # {2}\n',
        '[env]\n  "{0}" = "{1}"\n# {2}\n',
        '[http_service]\n  internal_port = "{0}"\n  force_https = false  # flylint: ignore[{1}]\n',
        '[env]\n  A = "{0}"\n  A = "{1}"\n',
        '[build.args]\n  NPM_TOKEN = "{0} {1}"\n{2} = 1\n',
    ],
    "Dockerfile": [
        "FROM alpine\nENV A={0} B={1} \\\n    C={2}\n",
        "FROM alpine\n# {0}\nARG TOKEN={1}\nRUN echo {2} # flylint: ignore[{0}]\n",
        "FROM alpine\nENV {0}={1} \\\n",
    ],
    "app.py": [
        'import httpx\nTOKENS = {{"{0}": "{1}"}}  # {2}\n'
        'httpx.get("https://a.fly.dev/x", auth="{1}")\n',
        'settings = {{}}\nsettings["{0}"] = "{1}"  # flylint: ignore[{2}]\n',
        'API_KEY = f"{0}-{{x}}" + "{1}"\n',
    ],
}


def _hidden(secrets: list[str]) -> list[str]:
    return [secret[2:] for secret in secrets]


@pytest.mark.parametrize("name", sorted(PLACES))
@FUZZ
@given(data=st.data())
def test_secrets_anywhere_are_never_printed(name: str, data, tmp_path: Path, capsys) -> None:
    secrets = [data.draw(SECRETS) for _ in range(3)]
    text = data.draw(st.sampled_from(PLACES[name])).format(*secrets)
    (tmp_path / name).write_text(text, encoding="utf-8")
    for fmt in ("concise", "sarif", "json"):
        code = main(["check", str(tmp_path), "--format", fmt])
        captured = capsys.readouterr()
        assert code in (0, 1, 2)
        for hidden in _hidden(secrets):
            assert hidden not in captured.out + captured.err, (text, fmt)
    if name == "fly.toml":
        main(["check", str(tmp_path), "--diff"])
        captured = capsys.readouterr()
        for hidden in _hidden(secrets):
            assert hidden not in captured.out + captured.err, (text, "--diff")


NESTING = st.tuples(
    st.sampled_from(["(", "[", "{1:", "-", "not ", "lambda: ", "x.", "f(", "await "]),
    st.integers(100, 3000),
)


@FUZZ
@given(shape=NESTING)
def test_deep_nesting_never_crashes(shape: tuple[str, int], tmp_path: Path, capsys) -> None:
    opener, depth = shape
    closer = {"(": ")", "[": "]", "{1:": "}", "f(": ")"}.get(opener, "")
    body = opener * depth + "1" + closer * depth
    _run(tmp_path, "app.py", f'URL = "https://a.fly.dev"\ny = {body}\n'.encode(), capsys)


def _no_answer(signum: int, frame: object) -> None:
    raise TimeoutError("the language server did not take the document in 60 s")


class _RawServer:
    """``flylint server`` over stdio, spoken to in raw JSON-RPC: one process for every
    example, so that a document that kills it fails the example that sent it. Its output
    is read all the time, by a thread, as an editor does: a client that stops reading
    while it writes a large document deadlocks with a server writing diagnostics."""

    def __init__(self, cwd: Path) -> None:
        import queue
        import subprocess
        import sys
        import threading

        self.process = subprocess.Popen(
            [sys.executable, "-m", "flylint", "server"], cwd=cwd,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        self.messages: queue.Queue[dict | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0
        self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        self.notify("initialized", {})

    def send(self, message: dict) -> None:
        import json

        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        import json

        assert self.process.stdout is not None
        while True:
            length = None
            while True:
                line = self.process.stdout.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert length is not None
            self.messages.put(json.loads(self.process.stdout.read(length)))

    def receive(self) -> dict:
        import queue

        try:
            message = self.messages.get(timeout=60)
        except queue.Empty:
            raise TimeoutError("the language server did not answer in 60 s") from None
        assert message is not None, "the language server died"
        return message

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id and "method" not in message:
                return message

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def diagnostics(self, uri: str, text: str, version: int) -> list[str]:
        """Open ``text`` as ``uri`` at ``version``: the messages of what the server
        published for that version, and of anything it showed or logged meanwhile."""
        # A server that stops reading blocks the write once the pipe is full.
        signal.signal(signal.SIGALRM, _no_answer)
        signal.alarm(60)
        try:
            self.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "", "version": version, "text": text}},
            )
        finally:
            signal.alarm(0)
        said: list[str] = []
        while True:
            message = self.receive()
            params = message.get("params") or {}
            if message.get("method") in ("window/showMessage", "window/logMessage"):
                said.append(params.get("message", ""))
            published = message.get("method") == "textDocument/publishDiagnostics"
            # The version tells this document's diagnostics from the empty list that
            # closing the previous example's document published.
            if published and params.get("uri") == uri and params.get("version") == version:
                said += [d["message"] for d in params["diagnostics"]]
                self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
                return said

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def raw_server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("lsp-fuzz")
    (root / ".git").mkdir()
    server = _RawServer(root)
    yield server, root
    server.close()


@pytest.mark.parametrize("name", sorted(PLACES))
@FUZZ
@given(data=st.data())
def test_the_language_server_survives_and_masks(name: str, data, raw_server) -> None:
    server, root = raw_server
    secrets = [data.draw(SECRETS) for _ in range(3)]
    if data.draw(st.booleans()):
        text = data.draw(st.sampled_from(PLACES[name])).format(*secrets)
    else:
        text = _mutate(data, SEEDS[name]).decode("utf-8", "replace")
        text += f"\n# {secrets[0]}\n"
    server.next_id += 1
    said = server.diagnostics((root / name).as_uri(), text, server.next_id)
    for hidden in _hidden(secrets):
        assert not any(hidden in message for message in said), text
