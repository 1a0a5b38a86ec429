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
import time
from pathlib import Path

CONFIG = """app = "shop"
primary_region = "ams"

[env]
  SMTP_PASSWORD = "summer-Rain-77"
  BILLING_API_URL = "https://billing.fly.dev"

[http_service]
  internal_port = 8080
  force_https = false
"""


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
        while line := self.process.stdout.readline().strip():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.process.stdout.read(length))

    def wait(self, method: str) -> dict:
        while True:
            message = self.receive()
            if message.get("method") == method:
                return message


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fly.toml"
        path.write_text(CONFIG, encoding="utf-8")
        uri = path.as_uri()
        server = Connection()
        request = server.send("initialize", {"processId": None, "rootUri": None,
                                             "capabilities": {}}, request=True)  # fmt: skip
        while server.receive().get("id") != request:
            pass
        server.send("initialized", {})
        document = {"uri": uri, "languageId": "toml", "version": 1, "text": CONFIG}
        start = time.perf_counter()
        server.send("textDocument/didOpen", {"textDocument": document})
        first = server.wait("textDocument/publishDiagnostics")
        first_open = time.perf_counter() - start
        timings = []
        for _ in range(args.repeat):
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
    print(f"didSave -> diagnostics over {args.repeat} saves: median "
          f"{statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms "
          f"({', '.join(codes)})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
