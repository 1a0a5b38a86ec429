"""Time the language server as an editor sees it, over the server's stdio:

- a didSave of a fly.toml, to its published diagnostics;
- a keystroke in a 100 KB Python file, to the diagnostics of the text it made;
- a burst of keystrokes 30 ms apart (a fast typist, an editor's auto-edit), from the last
  one to the diagnostics of the newest text, and how many times the server published
  for the file meanwhile (one: a burst costs one lint).

    python bench/lsp.py [--repeat 50]

Speaks LSP directly (Content-Length framed JSON-RPC), without any client library in the
way; the server's output is read all the time, by a thread, as an editor does.
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import corpora

TIMEOUT_S = 30.0  # for any one answer: a server that published none by then never will
BIG_PYTHON_BYTES = 100 * 1024
BURST_KEYSTROKES = 10
BURST_GAP_S = 0.03
SETTLE_S = 0.5  # after a burst's diagnostics: time for a stale lint to publish too

CONFIG = """app = "shop"
primary_region = "ams"

[env]
  SMTP_PASSWORD = "summer-Rain-77"
  BILLING_API_URL = "https://billing.fly.dev"

[http_service]
  internal_port = 8080
  force_https = false
"""


class NoAnswer(RuntimeError):
    pass


class Connection:
    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flylint", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=cwd,
        )
        self.next_id = 0
        # (arrival time, message); None when the server closed its output.
        self.messages: queue.Queue[tuple[float, dict] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, method: str, params: dict, request: bool = False) -> int | None:
        message: dict = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()
        return message.get("id")

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while line := stdout.readline():
                if not line.strip():
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            else:
                self.messages.put(None)
                return
            message = json.loads(stdout.read(length))
            self.messages.put((time.perf_counter(), message))

    def wait(self, method: str) -> dict:
        return self.wait_for(lambda message: message.get("method") == method, method)[1]

    def wait_for(self, wanted: Callable[[dict], bool], what: str) -> tuple[float, dict]:
        """The next message ``wanted`` accepts, with its arrival time; ``NoAnswer`` when
        none came within ``TIMEOUT_S`` (or the server exited)."""
        deadline = time.perf_counter() + TIMEOUT_S
        while True:
            try:
                item = self.messages.get(timeout=max(deadline - time.perf_counter(), 0))
            except queue.Empty:
                item = None
            if item is None:
                self.process.kill()
                why = f"no {what}: the server exited, or sent none within {TIMEOUT_S:.0f} s"
                raise NoAnswer(why)
            if wanted(item[1]):
                return item

    def drain(self) -> list[dict]:
        """The messages that arrived and were not waited for."""
        found = []
        while True:
            try:
                item = self.messages.get_nowait()
            except queue.Empty:
                return found
            if item is not None:
                found.append(item[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    try:
        return measure(args.repeat)
    except NoAnswer as exc:
        print(f"bench/lsp.py: {exc}", file=sys.stderr)
        return 1


def _published_for(uri: str, version: int | None = None) -> Callable[[dict], bool]:
    def wanted(message: dict) -> bool:
        if message.get("method") != "textDocument/publishDiagnostics":
            return False
        params = message["params"]
        return params["uri"] == uri and (version is None or params.get("version") == version)

    return wanted


class Editor:
    """One open document, typed into: each keystroke an incremental change that adds a
    character at the end of the first line."""

    def __init__(self, server: Connection, uri: str, text: str) -> None:
        self.server, self.uri, self.version = server, uri, 1
        self.column = len(text.split("\n", 1)[0])
        document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        server.send("textDocument/didOpen", {"textDocument": document})
        server.wait_for(_published_for(uri, 1), "diagnostics of the opened file")

    def keystroke(self) -> float:
        self.version += 1
        at = {"line": 0, "character": self.column}
        change = {"range": {"start": at, "end": at}, "text": "x"}
        identifier = {"uri": self.uri, "version": self.version}
        self.server.send(
            "textDocument/didChange",
            {"textDocument": identifier, "contentChanges": [change]},
        )
        self.column += 1
        return time.perf_counter()

    def published(self) -> float:
        """When the diagnostics of the newest text arrived."""
        arrived, _ = self.server.wait_for(
            _published_for(self.uri, self.version), f"diagnostics of version {self.version}"
        )
        return arrived


def measure(repeat: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        path = root / "fly.toml"
        path.write_text(CONFIG, encoding="utf-8")
        uri = path.as_uri()
        code = root / "orders.py"
        text = corpora.python_of_size(BIG_PYTHON_BYTES)
        code.write_text(text, encoding="utf-8")
        server = Connection(root)
        request = server.send("initialize", {"processId": None, "rootUri": None,
                                             "capabilities": {}}, request=True)  # fmt: skip
        server.wait_for(lambda message: message.get("id") == request, "initialize result")
        server.send("initialized", {})
        document = {"uri": uri, "languageId": "toml", "version": 1, "text": CONFIG}
        start = time.perf_counter()
        server.send("textDocument/didOpen", {"textDocument": document})
        first = server.wait("textDocument/publishDiagnostics")
        first_open = time.perf_counter() - start
        saves = []
        for _ in range(repeat):
            start = time.perf_counter()
            server.send("textDocument/didSave", {"textDocument": {"uri": uri}})
            published = server.wait("textDocument/publishDiagnostics")
            saves.append(time.perf_counter() - start)
        server.send("textDocument/didClose", {"textDocument": {"uri": uri}})
        server.wait_for(_published_for(uri), "diagnostics of the closed file")

        editor = Editor(server, code.as_uri(), text)
        single = []
        for _ in range(repeat):
            typed = editor.keystroke()
            single.append(editor.published() - typed)
            time.sleep(SETTLE_S / 5)
        bursts, publishes = [], []
        server.drain()
        for _ in range(max(repeat // 5, 3)):
            for _ in range(BURST_KEYSTROKES):
                last = editor.keystroke()
                time.sleep(BURST_GAP_S)
            bursts.append(editor.published() - last)
            time.sleep(SETTLE_S)
            seen = [_published_for(editor.uri)(m) for m in server.drain()]
            publishes.append(1 + sum(seen))
        server.send("shutdown", {}, request=True)
        server.send("exit", {})
        server.process.wait(timeout=10)
    codes = sorted(d["code"] for d in published["params"]["diagnostics"])
    kb = len(text.encode()) / 1024
    print(f"first didOpen -> diagnostics: {first_open * 1000:.1f} ms "
          f"({len(first['params']['diagnostics'])} diagnostics, imports included)")  # fmt: skip
    print(f"didSave -> diagnostics over {repeat} saves: median "
          f"{statistics.median(saves) * 1000:.1f} ms, max {max(saves) * 1000:.1f} ms "
          f"({', '.join(codes)})")  # fmt: skip
    print(f"keystroke in a {kb:.0f} KB Python file -> its diagnostics over {repeat} "
          f"keystrokes: median {statistics.median(single) * 1000:.1f} ms, max "
          f"{max(single) * 1000:.1f} ms")  # fmt: skip
    print(f"burst of {BURST_KEYSTROKES} keystrokes {BURST_GAP_S * 1000:.0f} ms apart -> "
          f"diagnostics of the last over {len(bursts)} bursts: median "
          f"{statistics.median(bursts) * 1000:.1f} ms, max {max(bursts) * 1000:.1f} ms "
          f"after the last keystroke; publishes per burst: max {max(publishes)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
