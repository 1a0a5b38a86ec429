"""``flylint check --fix`` and ``--diff``: each case under fixtures/fixes is copied, fixed,
and every fly.toml compared byte for byte with its ``fly.toml.fixed`` (or left as it was
when there is none); fixing twice changes nothing; untouched bytes survive a round trip.
``FLYLINT_UPDATE_FIXTURES=1`` rewrites the ``.fixed`` files; review the diff."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flylint import fixes

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p for p in (FIXTURES / "fixes").iterdir() if p.is_dir())


def flylint(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "flylint", "check", "--format", "concise", *args],
        cwd=cwd, capture_output=True, check=False,
    )  # fmt: skip


def fly_tomls(root: Path) -> list[Path]:
    return sorted(root.rglob("fly.toml"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_rewrites_only_what_the_findings_need(case: Path, tmp_path: Path) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work)
    result = flylint(work, "--fix", ".")
    assert result.returncode in (0, 1), result.stderr
    for fixed in fly_tomls(work):
        expected_file = case / fixed.relative_to(work).with_name("fly.toml.fixed")
        if os.environ.get("FLYLINT_UPDATE_FIXTURES"):
            original = (case / fixed.relative_to(work)).read_bytes()
            if fixed.read_bytes() != original:
                expected_file.write_bytes(fixed.read_bytes())
        expected = expected_file.read_bytes() if expected_file.exists() else None
        assert fixed.read_bytes() == (expected or (case / fixed.relative_to(work)).read_bytes())

    # Idempotent: the second run has nothing left to fix and reports what remains.
    again = flylint(work, "--fix", ".")
    assert b"fixed 0 findings in 0 files" in again.stderr
    remaining = flylint(work, ".")
    assert again.stdout == remaining.stdout
    assert again.returncode == remaining.returncode == (1 if remaining.stdout else 0)
    for rule in (b"FLY201", b"FLY203"):
        assert rule not in remaining.stdout


def test_fix_leaves_secrets_and_unknown_apps_alone(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "fixes" / "fly402-monorepo", tmp_path / "repo")
    web = tmp_path / "repo" / "web" / "fly.toml"
    text = web.read_text(encoding="utf-8")
    secret = '  SMTP_PASSWORD = "summer-Rain-2024"\n'
    web.write_text(text.replace("  PUBLIC_URL", secret + "  PUBLIC_URL"), encoding="utf-8")
    result = flylint(tmp_path / "repo", "--fix", ".")
    text = web.read_text(encoding="utf-8")
    assert 'API_URL = "http://acme-api.internal:8080/v1"   # the API app, next door' in text
    assert 'SEARCH_SERVICE_URL = "https://acme-search.fly.dev"' in text  # port unknown
    assert 'SMTP_PASSWORD = "summer-Rain-2024"' in text
    assert result.returncode == 1
    assert b"fly secrets set SMTP_PASSWORD=su*** --app acme-web" in result.stdout
    assert b"summer-Rain" not in result.stdout + result.stderr


def test_diff_shows_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "fixes" / "fly203-max-age", tmp_path / "app")
    before = (tmp_path / "app" / "fly.toml").read_bytes()
    result = flylint(tmp_path / "app", "--diff", ".")
    assert result.returncode == 1
    assert result.stdout == (
        b"--- a/fly.toml\n+++ b/fly.toml\n@@ -5,4 +5,4 @@\n   force_https = true\n \n"
        b" [http_service.http_options.response.headers]\n"
        b'-  Strict-Transport-Security = "max-age=300; includeSubDomains; preload"\n'
        b'+  Strict-Transport-Security = "max-age=63072000; includeSubDomains; preload"\n'
    )
    assert (tmp_path / "app" / "fly.toml").read_bytes() == before
    flylint(tmp_path / "app", "--fix", ".")
    clean = flylint(tmp_path / "app", "--diff", ".")
    assert (clean.returncode, clean.stdout) == (0, b"")


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_a_file_tomlkit_cannot_read_is_left_alone_with_a_reason(mode: str, tmp_path) -> None:
    """tomllib reads arrays nested 150 deep; tomlkit, which --fix edits with, stops at
    100: the file is not touched, and the user is told why its findings stay."""
    nested = "[" * 150 + "]" * 150
    text = f'app = "shop"\nlevels = {nested}\n[http_service]\n  force_https = false\n'
    (tmp_path / "fly.toml").write_text(text, encoding="utf-8")
    result = flylint(tmp_path, mode, "fly.toml")
    # --fix goes on to print the findings left, --diff prints no diff.
    assert result.returncode == (1 if mode == "--fix" else 0)
    assert (b"fly.toml:4:3: FLY201" in result.stdout) == (mode == "--fix")
    assert result.stderr.decode().startswith(
        "flylint: warning: fly.toml: 2 findings not fixed: tomlkit, which --fix edits with, "
        "cannot read it (TOML value nested more than 100 levels deep at line 2 col "
    )
    assert (tmp_path / "fly.toml").read_text(encoding="utf-8") == text


def test_diff_masks_credentials_in_its_context_lines(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "fixes" / "fly402-monorepo", tmp_path / "repo")
    web = tmp_path / "repo" / "web" / "fly.toml"
    text = web.read_text(encoding="utf-8")
    secret = '  STRIPE_SECRET_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'
    web.write_text(text.replace("  SEARCH_SERVICE_URL", secret + "  SEARCH_SERVICE_URL"), "utf-8")
    result = flylint(tmp_path / "repo", "--diff", ".")
    assert result.returncode == 1
    assert b'+  API_URL = "http://acme-api.internal:8080/v1"' in result.stdout
    assert b' STRIPE_SECRET_KEY = "sk***"\n' in result.stdout  # a context line, masked
    assert b"4eC39HqLyjWDarjtT1zdp7dc" not in result.stdout + result.stderr


def test_fix_keeps_the_file_mode(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "fixes" / "unindented", tmp_path / "app")
    path = tmp_path / "app" / "fly.toml"
    path.chmod(0o640)
    flylint(tmp_path / "app", "--fix", ".")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert b"force_https = true" in path.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["fly.toml", "fly.toml.fixed"]


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "fly.toml"
    path.write_bytes(b'[http_service]\n  internal_port = 8080\n  force_https = "yes"\n')
    change = fixes.Change(path, b"[http_service]\n", b"[http_service]\nforce_https = true\n", 1)
    with pytest.raises(fixes.Conflict):
        fixes.write(change)
    assert path.read_bytes() == b'[http_service]\n  internal_port = 8080\n  force_https = "yes"\n'


def test_fix_and_stdin_do_not_mix(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flylint", "check", "--fix", "--stdin-filename", "fly.toml"],
        cwd=tmp_path, input=b'app = "x"\n', capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert b"--fix and --diff change files on disk, not stdin" in result.stderr


# Realistic fly.toml files: what `fly launch` writes for common stacks, in the styles
# people then edit them into (comments, quoting, dotted keys, inline tables, CRLF, BOM).
_LAUNCH = {
    "rails": """# fly.toml app configuration file generated for {app} on 2026-09-14T10:02:33Z
#
# See https://fly.io/docs/reference/configuration/ for information about how to use this file.
#

app = '{app}'
primary_region = 'fra'
console_command = '/rails/bin/rails console'

[build]

[deploy]
  release_command = './bin/rails db:prepare'

[env]
  RAILS_LOG_TO_STDOUT = 'enabled'

[http_service]
  internal_port = 3000
  force_https = true
  auto_stop_machines = 'stop'
  auto_start_machines = true
  min_machines_running = 0
  processes = ['app']

[[vm]]
  memory = '1gb'
  cpu_kind = 'shared'
  cpus = 1

[[statics]]
  guest_path = '/rails/public'
  url_prefix = '/'
""",
    "django": """app = "{app}"
primary_region = "iad"
console_command = "/code/manage.py shell"

[build]

[env]
  PORT = "8000"
  DJANGO_SETTINGS_MODULE = "mysite.settings.production"

[http_service]
  internal_port = 8000
  force_https = true
  auto_stop_machines = "stop"
  auto_start_machines = true
  min_machines_running = 0
  processes = ["app"]

[[statics]]
  guest_path = "/code/static"
  url_prefix = "/static/"
""",
    "phoenix": """app = "{app}"
primary_region = "ams"
kill_signal = "SIGTERM"

[build]

[deploy]
  release_command = "/app/bin/migrate"

[env]
  PHX_HOST = "{app}.fly.dev"
  PORT = "8080"

[http_service]
  internal_port = 8080
  force_https = true
  auto_stop_machines = "stop"
  auto_start_machines = true
  min_machines_running = 0
  processes = ["app"]
  [http_service.concurrency]
    type = "connections"
    hard_limit = 1000
    soft_limit = 1000

[[vm]]
  memory = "1gb"
  cpu_kind = "shared"
  cpus = 1
""",
    "node": """app = "{app}"
primary_region = "sjc"

[build]
  [build.args]
    NODE_VERSION = "20.11.1"

[http_service]
  internal_port = 3000
  force_https = true
  auto_stop_machines = true
  auto_start_machines = true

[[http_service.checks]]
  grace_period = "10s"
  interval = "30s"
  method = "GET"
  timeout = "5s"
  path = "/healthz"
""",
    "v1-services": """app = "{app}"
kill_signal = "SIGINT"
kill_timeout = 5
processes = []

[experimental]
  allowed_public_ports = []
  auto_rollback = true

[[services]]
  http_checks = []
  internal_port = 8080
  processes = ["app"]
  protocol = "tcp"
  script_checks = []
  [services.concurrency]
    hard_limit = 25
    soft_limit = 20
    type = "connections"

  [[services.ports]]
    force_https = true
    handlers = ["http"]
    port = 80

  [[services.ports]]
    handlers = ["tls", "http"]
    port = 443

  [[services.tcp_checks]]
    grace_period = "1s"
    interval = "15s"
    restart_limit = 0
    timeout = "2s"
""",
    "worker": """app = "{app}"

[processes]
  web = "bin/server --port 8080"
  worker = "bin/worker --queue default,mailers"

[mounts]
  source = "data"
  destination = "/data"
  initial_size = "10gb"

[[services]]
  internal_port = 8080
  processes = ["web"]
  protocol = "tcp"
  [[services.ports]]
    handlers = ["tls", "http"]
    port = 443
""",
}
_EXTRAS = [
    "",
    '\n[env]\n  GREETING = """\nHello,\n  multi-line "world"\n"""\n',
    "\n# the metrics endpoint\n[metrics]\nport = 9091 # prometheus\npath = '/metrics'\n",
    '\nhttp_service.http_options.response.headers."X-Frame-Options" = "DENY"\n',
    "\n[checks]\n  [checks.alive]\n    type = \"tcp\"\n    port = 8080\n    interval = '15s'\n",
    '\n[[files]]\n  guest_path = "/etc/app/motd"\n  raw_value = "w6lsw6hwaGFudCDinJM="\n',
]
_STYLES = {
    "as-written": lambda text: text.encode("utf-8"),
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "unindented": lambda text: "\n".join(line.lstrip() for line in text.split("\n")).encode(),
    "tabs-and-trailing-space": lambda text: (
        text.replace("\n  ", "\n\t").replace("\n", "  \n", 3).encode("utf-8")
    ),
}
REALISTIC = [
    (f"{stack}-{extra}-{style}", _STYLES[style](_LAUNCH[stack].format(app=f"{stack}-app") + x))
    for stack in _LAUNCH
    for extra, x in enumerate(_EXTRAS)
    for style in _STYLES
    if not ("\n[env]" in _LAUNCH[stack] and x.startswith("\n[env]"))  # one [env] per file
]


def test_there_are_a_hundred_realistic_files() -> None:
    assert len(REALISTIC) >= 100


@pytest.mark.parametrize(("name", "content"), REALISTIC, ids=[n for n, _ in REALISTIC])
def test_round_trip_keeps_every_byte_of_realistic_files(name: str, content: bytes) -> None:
    assert fixes.apply(content, []) == content


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(FIXTURES.rglob("fly*.toml*")) if p.name.endswith((".toml", ".fixed"))],
    ids=lambda p: p.relative_to(FIXTURES).as_posix(),
)
def test_round_trip_keeps_every_byte_of_fixtures(path: Path) -> None:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    content = path.read_bytes()
    try:
        tomlkit.parse(content.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, TOMLKitError):  # FLY000 fixtures: not TOML, nothing to fix
        pytest.skip("not valid TOML")
    assert fixes.apply(content, []) == content


def test_diff_masks_every_credential_of_an_inline_table(tmp_path: Path) -> None:
    """Several credentials on one line: masking the first shortens the line, and the
    others must still be found where they are (issue 16)."""
    token, stripe = "ghp_0FlyLint0FlyLint0FlyLint0FlyLint0Fly", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
    (tmp_path / "fly.toml").write_text(
        'app = "shop"\nenv = { A = "1", GITHUB_TOKEN = "' + token + '", '
        'STRIPE_SECRET_KEY = "' + stripe + '" }\n'
        "[http_service]\n  force_https = false\n  internal_port = 8080\n",
        encoding="utf-8",
    )
    result = flylint(tmp_path, "--diff", ".")
    out = result.stdout + result.stderr
    assert b"force_https = true" in result.stdout
    assert token.encode() not in out and stripe.encode() not in out
    assert b'GITHUB_TOKEN = "gh***"' in result.stdout
    assert b'STRIPE_SECRET_KEY = "sk***"' in result.stdout
