"""Time the language server: from a didSave of a fly.toml to its published diagnostics.

    python bench/lsp.py [--repeat 50]

Speaks LSP over the server's stdio directly (Content-Length framed JSON-RPC), so the
figure is what an editor sees, without any client library in the way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

TIMEOUT_S = 30.0  # for any one answer: a server that published none by then never will

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
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flylint", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.next_id = 0

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

    def receive(self) -> dict:
        assert self.process.stdout is not None
        length = 0
        while line := self.process.stdout.readline():
            if not line.strip():
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        else:
            raise EOFError("the server closed its output")
        return json.loads(self.process.stdout.read(length))

    def wait(self, method: str) -> dict:
        return self.wait_for(lambda message: message.get("method") == method, method)

    def wait_for(self, wanted: Callable[[dict], bool], what: str) -> dict:
        """The next message ``wanted`` accepts; the server is killed, and ``NoAnswer``
        raised, when none came within ``TIMEOUT_S`` (or the server exited)."""
        watchdog = threading.Timer(TIMEOUT_S, self.process.kill)
        watchdog.start()
        try:
            while True:
                message = self.receive()
                if wanted(message):
                    return message
        except EOFError:
            self.process.kill()
            message = f"no {what}: the server exited, or sent none within {TIMEOUT_S:.0f} s"
            raise NoAnswer(message) from None
        finally:
            watchdog.cancel()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    try:
        return measure(args.repeat)
    except NoAnswer as exc:
        print(f"bench/lsp.py: {exc}", file=sys.stderr)
        return 1


def measure(repeat: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fly.toml"
        path.write_text(CONFIG, encoding="utf-8")
        uri = path.as_uri()
        server = Connection()
        request = server.send("initialize", {"processId": None, "rootUri": None,
                                             "capabilities": {}}, request=True)  # fmt: skip
        server.wait_for(lambda message: message.get("id") == request, "initialize result")
        server.send("initialized", {})
        document = {"uri": uri, "languageId": "toml", "version": 1, "text": CONFIG}
        start = time.perf_counter()
        server.send("textDocument/didOpen", {"textDocument": document})
        first = server.wait("textDocument/publishDiagnostics")
        first_open = time.perf_counter() - start
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            server.send("textDocument/didSave", {"textDocument": {"uri": uri}})
            published = server.wait("textDocument/publishDiagnostics")
            timings.append(time.perf_counter() - start)
        server.send("shutdown", {}, request=True)
        server.send("exit", {})
        server.process.wait(timeout=10)
    codes = sorted(d["code"] for d in published["params"]["diagnostics"])
    print(f"first didOpen -> diagnostics: {first_open * 1000:.1f} ms "
          f"({len(first['params']['diagnostics'])} diagnostics, imports included)")  # fmt: skip
    print(f"didSave -> diagnostics over {repeat} saves: median "
          f"{statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms "
          f"({', '.join(codes)})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
