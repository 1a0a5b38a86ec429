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


def _every_fix(mode: str) -> tuple[str, ...]:
    """``mode`` (--fix or --diff) with every fix, safe and unsafe."""
    return (mode, "--unsafe-fixes") if mode == "--fix" else (mode,)


def fly_tomls(root: Path) -> list[Path]:
    return sorted(root.rglob("fly.toml"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_rewrites_only_what_the_findings_need(case: Path, tmp_path: Path) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work)
    result = flylint(work, "--fix", "--unsafe-fixes", ".")
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
    again = flylint(work, "--fix", "--unsafe-fixes", ".")
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
    result = flylint(tmp_path / "repo", "--fix", "--unsafe-fixes", ".")
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
        b"# flylint: unsafe fixes (--fix --unsafe-fixes): FLY203 at fly.toml:8\n"
        b"--- a/fly.toml\n+++ b/fly.toml\n@@ -5,4 +5,4 @@\n   force_https = true\n \n"
        b" [http_service.http_options.response.headers]\n"
        b'-  Strict-Transport-Security = "max-age=300; includeSubDomains; preload"\n'
        b'+  Strict-Transport-Security = "max-age=63072000; includeSubDomains; preload"\n'
    )
    assert (tmp_path / "app" / "fly.toml").read_bytes() == before
    flylint(tmp_path / "app", "--fix", "--unsafe-fixes", ".")
    clean = flylint(tmp_path / "app", "--diff", ".")
    assert (clean.returncode, clean.stdout) == (0, b"")


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_a_file_tomlkit_cannot_read_is_left_alone_with_a_reason(mode: str, tmp_path) -> None:
    """tomllib reads arrays nested 150 deep; tomlkit, which --fix edits with, stops at
    100: the file is not touched, and the user is told why its findings stay."""
    nested = "[" * 150 + "]" * 150
    text = f'app = "shop"\nlevels = {nested}\n[http_service]\n  force_https = false\n'
    (tmp_path / "fly.toml").write_text(text, encoding="utf-8")
    result = flylint(tmp_path, *_every_fix(mode), "fly.toml")
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
    flylint(tmp_path / "app", "--fix", "--unsafe-fixes", ".")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert b"force_https = true" in path.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["fly.toml", "fly.toml.fixed"]


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "fly.toml"
    path.write_bytes(b'[http_service]\n  internal_port = 8080\n  force_https = "yes"\n')
    before, after = b"[http_service]\n", b"[http_service]\nforce_https = true\n"
    change = fixes.Change(path, before, after, ["FLY201"])
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


# Tables defined out of order: tomlkit gives a read-only view of such a table (its
# OutOfOrderTableProxy), which --fix and --diff crashed on. Each case: the file, and the
# (old, new) replacements the fix makes; every other byte stays.
_STS = 'Strict-Transport-Security = "max-age=63072000; includeSubDomains"'
OUT_OF_ORDER = {
    # [[http_service.checks]] after [env] and [[vm]], as `fly launch` users add them.
    "checks-after-other-tables": (
        """# the ledger service
app = "ledger-api"
primary_region = "cdg"

[http_service]
  internal_port = 3000
  force_https = true
  auto_stop_machines = "suspend"
  [http_service.concurrency]
    type = "connections"
    soft_limit = 50
    hard_limit = 80

[env]
  LOG_LEVEL = "info"

[[vm]]
  memory = "256mb"

# shallow probe
[[http_service.checks]]
  interval = "20s"
  method = "GET"
  path = "/ping"

# deep probe
[[http_service.checks]]
  interval = "45s"
  path = "/ping/db"
""",
        [
            (
                "    hard_limit = 80\n\n",
                "    hard_limit = 80\n\n  [http_service.http_options.response.headers]\n"
                f"    {_STS}\n\n",
            )
        ],
    ),
    "a-key-set-in-the-first-part": (
        'app = "ledger-api"\n\n[http_service]\n  internal_port = 3000\n'
        '  force_https = false   # TODO\n\n[env]\n  LOG_LEVEL = "info"\n\n'
        '[[http_service.checks]]\n  path = "/ping"\n',
        [
            (
                "  force_https = false   # TODO\n",
                "  force_https = true   # TODO\n\n"
                f"  [http_service.http_options.response.headers]\n    {_STS}\n",
            )
        ],
    ),
    "a-key-added-unindented": (
        'app = "ledger-api"\n\n[http_service]\ninternal_port = 3000\n\n'
        '[env]\nLOG_LEVEL = "info"\n\n[[http_service.checks]]\npath = "/ping"\n',
        [
            (
                "internal_port = 3000\n",
                "internal_port = 3000\nforce_https = true\n\n"
                f"[http_service.http_options.response.headers]\n{_STS}\n",
            )
        ],
    ),
    "headers-table-after-env": (
        'app = "ledger-api"\n\n[http_service]\n  internal_port = 3000\n  force_https = true\n\n'
        '[env]\n  LOG_LEVEL = "info"\n\n[http_service.http_options.response.headers]\n'
        '  X-Frame-Options = "DENY"\n  Strict-Transport-Security = "max-age=600"\n\n'
        '[[http_service.checks]]\n  path = "/ping"\n',
        [('"max-age=600"', '"max-age=63072000"')],
    ),
    "header-added-to-a-later-part": (
        'app = "ledger-api"\n\n[http_service]\n  internal_port = 3000\n  force_https = true\n\n'
        '[env]\n  LOG_LEVEL = "info"\n\n[http_service.http_options.response.headers]\n'
        '  X-Frame-Options = "DENY"\n',
        [('"DENY"\n', f'"DENY"\n  {_STS}\n')],
    ),
    "sub-table-before-the-table": (
        'app = "ledger-api"\n\n[http_service.concurrency]\n  type = "requests"\n\n'
        '[env]\n  LOG_LEVEL = "info"\n\n[http_service]\n  internal_port = 3000\n'
        "  force_https = false\n",
        [
            (
                "  force_https = false\n",
                "  force_https = true\n\n"
                f"  [http_service.http_options.response.headers]\n    {_STS}\n",
            )
        ],
    ),
    "three-parts": (
        'app = "ledger-api"\n\n[http_service]\n  internal_port = 3000\n  force_https = false\n\n'
        '[env]\n  LOG_LEVEL = "info"\n\n[http_service.concurrency]\n  type = "requests"\n\n'
        '[[vm]]\n  memory = "256mb"\n\n[[http_service.checks]]\n  path = "/ping"\n',
        [
            (
                "  force_https = false\n",
                "  force_https = true\n\n"
                f"  [http_service.http_options.response.headers]\n    {_STS}\n",
            )
        ],
    ),
}


@pytest.mark.parametrize("name", OUT_OF_ORDER)
def test_fix_adds_to_a_table_defined_out_of_order(name: str, tmp_path: Path) -> None:
    text, replacements = OUT_OF_ORDER[name]
    expected = text
    for old, new in replacements:
        assert expected.count(old) == 1
        expected = expected.replace(old, new)
    (tmp_path / ".git").mkdir()
    path = tmp_path / "fly.toml"
    path.write_text(text, encoding="utf-8")

    diff = flylint(tmp_path, "--diff", ".")
    assert diff.returncode == 1, diff.stderr
    assert b"error" not in diff.stderr
    assert diff.stdout.startswith(b"# flylint: unsafe fixes (--fix --unsafe-fixes): FLY2")
    assert b"\n--- a/fly.toml\n+++ b/fly.toml\n@@ " in diff.stdout
    assert path.read_text(encoding="utf-8") == text

    fixed = flylint(tmp_path, "--fix", "--unsafe-fixes", ".")
    assert fixed.returncode == 0, fixed.stderr
    assert path.read_text(encoding="utf-8") == expected
    again = flylint(tmp_path, "--fix", "--unsafe-fixes", ".")
    assert again.stderr == b"flylint: fixed 0 findings in 0 files\n"
    assert path.read_text(encoding="utf-8") == expected


def test_a_table_tomlkit_would_move_is_left_alone_with_a_reason(tmp_path: Path) -> None:
    """tomlkit reads [[services.ports]] after [env] into the [[services]] entry and writes
    [env] after it: the file would change where no fix is."""
    text = (
        'app = "ledger-api"\n\n[[services]]\n  internal_port = 8080\n  protocol = "tcp"\n\n'
        '[env]\n  LOG_LEVEL = "info"\n\n[[services.ports]]\n  handlers = ["http"]\n  port = 80\n'
    )
    path = tmp_path / "fly.toml"
    path.write_text(text, encoding="utf-8")
    for mode in ("--diff", "--fix"):
        result = flylint(tmp_path, *_every_fix(mode), ".")
        assert result.stderr.startswith(
            b"flylint: warning: fly.toml: 1 finding not fixed: tomlkit, which --fix edits "
            b"with, would move lines no fix changes\n"
        )
        assert (b"FLY201" in result.stdout) == (mode == "--fix")
        assert path.read_text(encoding="utf-8") == text


# One file's failure, whatever it is, is that file's warning: the other files are still
# fixed or diffed. A bug is simulated in one of them (app "broken").
def _two_apps(root: Path) -> tuple[Path, Path]:
    paths = []
    for app in ("broken", "fine"):
        (root / app).mkdir()
        path = root / app / "fly.toml"
        path.write_text(
            f'app = "{app}"\n[http_service]\n  internal_port = 8080\n  force_https = false\n',
            encoding="utf-8",
        )
        paths.append(path)
    (root / ".git").mkdir()
    return paths[0], paths[1]


def _fails_for_broken(function):
    def failing(*args, **kwargs):
        if "broken" in repr(args):
            raise RuntimeError("simulated bug")
        return function(*args, **kwargs)

    return failing


_REPORT = "please report it at https://github.com/flylint/flylint/issues\n"


@pytest.mark.parametrize("stage", ["apply", "write", "diff"])
def test_one_file_failing_does_not_cost_the_others_their_fixes(
    stage: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    from flylint.cli import main

    broken, fine = _two_apps(tmp_path)
    before = broken.read_bytes()
    monkeypatch.setattr(fixes, stage, _fails_for_broken(getattr(fixes, stage)))
    monkeypatch.chdir(tmp_path)
    mode = "--diff" if stage == "diff" else "--fix"
    code = main(["check", "--format", "concise", "-j", "1", *_every_fix(mode), "."])
    out, err = capsys.readouterr()
    warning = (
        "flylint: warning: broken/fly.toml: 2 findings not fixed: internal error "
        f"(RuntimeError: simulated bug); {_REPORT}"
    )
    assert warning in err
    assert "internal error: " not in err  # the run itself did not fail
    assert code == 1
    assert broken.read_bytes() == before
    if mode == "--diff":
        assert out.startswith("# flylint: unsafe fixes (--fix --unsafe-fixes): FLY20")
        assert "\n--- a/fine/fly.toml\n" in out
        assert "broken" not in out
        assert err.endswith(
            "flylint: --fix would fix 0 findings in 0 files; "
            "--fix --unsafe-fixes would fix 2 findings in 1 file\n"
        )
    else:
        assert b"force_https = true" in fine.read_bytes()
        assert "flylint: fixed 2 findings in 1 file\n" in err
        assert "broken/fly.toml:4:3: FLY201" in out
        assert "fine/fly.toml" not in out


# --fix keeps what makes the file that file: a symlink stays a symlink, hard links stay
# linked, the owner, group, mode and extended attributes stay; a read-only file is not
# written.
_UNFIXED = b'app = "shop"\n[http_service]\n  internal_port = 8080\n  force_https = false\n'
_FIXED = (
    b'app = "shop"\n[http_service]\n  internal_port = 8080\n  force_https = true\n\n'
    b"  [http_service.http_options.response.headers]\n"
    b'    Strict-Transport-Security = "max-age=63072000; includeSubDomains"\n'
)


def _repository(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    return root


def test_fix_writes_through_a_symlink_inside_the_repository(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    (repo / "deploy").mkdir()
    (repo / "deploy" / "fly.production.toml").write_bytes(_UNFIXED)
    (repo / "app").mkdir()
    link = repo / "app" / "fly.toml"
    link.symlink_to(Path("..") / "deploy" / "fly.production.toml")
    result = flylint(repo, "--fix", "--unsafe-fixes", "app")
    assert result.stderr == b"flylint: fixed 2 findings in 1 file\n"
    assert result.returncode == 0
    assert link.is_symlink()
    assert link.readlink() == Path("..") / "deploy" / "fly.production.toml"
    assert (repo / "deploy" / "fly.production.toml").read_bytes() == _FIXED


def test_fix_refuses_a_symlink_to_outside_the_repository(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    shared = tmp_path / "shared" / "fly.toml"
    shared.parent.mkdir()
    shared.write_bytes(_UNFIXED)
    (repo / "fly.toml").symlink_to(shared)
    result = flylint(repo, "--fix", "--unsafe-fixes", "fly.toml")
    assert result.stderr.decode() == (
        f"flylint: warning: fly.toml: a symlink to {shared}, outside the repository "
        f"({repo}); not fixed\nflylint: fixed 0 findings in 0 files\n"
    )
    assert result.returncode == 1  # the findings remain, and are printed
    assert b"fly.toml:4:3: FLY201" in result.stdout
    assert (repo / "fly.toml").is_symlink()
    assert shared.read_bytes() == _UNFIXED


def test_fix_keeps_hard_links(tmp_path: Path) -> None:
    """Written in place, after checking the file still holds what was read: a rename
    would leave the other names with the old content."""
    repo = _repository(tmp_path / "repo")
    path = repo / "fly.toml"
    path.write_bytes(_UNFIXED)
    other = tmp_path / "backup.toml"
    os.link(path, other)
    inode = path.stat().st_ino
    result = flylint(repo, "--fix", "--unsafe-fixes", ".")
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == other.read_bytes() == _FIXED
    assert (path.stat().st_ino, path.stat().st_nlink) == (inode, 2)
    assert sorted(p.name for p in repo.iterdir()) == [".git", "fly.toml"]


def test_fix_replaces_a_plain_file_atomically(tmp_path: Path) -> None:
    """A new file renamed over the old one: a crash leaves one or the other, whole."""
    repo = _repository(tmp_path / "repo")
    path = repo / "fly.toml"
    path.write_bytes(_UNFIXED)
    inode = path.stat().st_ino
    result = flylint(repo, "--fix", "--unsafe-fixes", ".")
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == _FIXED
    assert path.stat().st_ino != inode
    assert sorted(p.name for p in repo.iterdir()) == [".git", "fly.toml"]


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555], ids=oct)
def test_fix_refuses_a_read_only_file(mode: int, tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    path = repo / "fly.toml"
    path.write_bytes(_UNFIXED)
    path.chmod(mode)
    try:
        result = flylint(repo, "--fix", "--unsafe-fixes", ".")
        assert result.stderr == (
            b"flylint: warning: fly.toml: read-only; not fixed\n"
            b"flylint: fixed 0 findings in 0 files\n"
        )
        assert result.returncode == 1
        assert path.read_bytes() == _UNFIXED
        assert stat.S_IMODE(path.stat().st_mode) == mode
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
@pytest.mark.parametrize("give_away", [True, False], ids=["chown-allowed", "chown-refused"])
def test_fix_keeps_the_owner_and_group(
    give_away: bool, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The new file gets the old one's owner and group; where the OS refuses that (we
    are not root), the file is written in place rather than given to us."""
    from flylint.cli import main

    repo = _repository(tmp_path / "repo")
    path = repo / "fly.toml"
    path.write_bytes(_UNFIXED)
    os.chown(path, 4321, 8765)
    path.chmod(0o664)
    inode = path.stat().st_ino
    if not give_away:

        def refuse(*args: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "fchown", refuse)
    monkeypatch.chdir(repo)
    assert main(["check", "-j", "1", "--fix", "--unsafe-fixes", "."]) == 0
    assert capsys.readouterr().err == "flylint: fixed 2 findings in 1 file\n"
    status = path.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (4321, 8765, 0o664)
    assert path.read_bytes() == _FIXED
    assert (status.st_ino == inode) == (not give_away)


def test_fix_keeps_extended_attributes(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    path = repo / "fly.toml"
    path.write_bytes(_UNFIXED)
    try:
        os.setxattr(path, "user.origin", b"terraform")
    except (AttributeError, OSError):
        pytest.skip("no user extended attributes here")
    result = flylint(repo, "--fix", "--unsafe-fixes", ".")
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == _FIXED
    assert os.getxattr(path, "user.origin") == b"terraform"


# --diff: every line of both sides goes through masking.redact after the TOML's secret
# values are masked; a changed line whose two sides look alike once masked is marked.
_TOKEN = "ghp_0FlyLint0FlyLint0FlyLint0FlyLint0Fly"


def test_diff_masks_credentials_in_comments(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "fixes" / "fly402-monorepo", tmp_path / "repo")
    web = tmp_path / "repo" / "web" / "fly.toml"
    text = web.read_text(encoding="utf-8")
    comments = (
        f"  # old token {_TOKEN}, revoked\n"
        "  # was postgres://ledger:Tr0ub4dor-horse-77@ledger-db.fly.dev/ledger\n"
    )
    web.write_text(text.replace("  API_URL", comments + "  API_URL"), encoding="utf-8")
    result = flylint(tmp_path / "repo", "--diff", ".")
    assert result.returncode == 1
    assert b"  # old token gh***, revoked\n" in result.stdout
    assert b"  # was postgres://ledger:***@ledger-db.fly.dev/ledger\n" in result.stdout
    assert b'+  API_URL = "http://acme-api.internal:8080/v1"' in result.stdout
    out = result.stdout + result.stderr
    assert _TOKEN.encode() not in out and b"Tr0ub4dor" not in out


def test_diff_marks_a_changed_line_whose_secret_it_cannot_show(tmp_path: Path) -> None:
    """FLY402 rewrites the host of a URL that carries a token: masked, both sides read
    "ht***"; the line must still show as changed, and say why it looks the same."""
    shutil.copytree(FIXTURES / "fixes" / "fly402-monorepo", tmp_path / "repo")
    web = tmp_path / "repo" / "web" / "fly.toml"
    text = web.read_text(encoding="utf-8")
    old = 'API_URL = "https://acme-api.fly.dev/v1"'
    web.write_text(text.replace(old, old[:-1] + f'?access_token={_TOKEN}"'), encoding="utf-8")
    result = flylint(tmp_path / "repo", "--diff", ".")
    assert result.returncode == 1
    assert (
        b'-  API_URL = "ht***"   # the API app, next door\n'
        b'+  API_URL = "ht***"   # the API app, next door # (secret changed; not shown)\n'
    ) in result.stdout
    assert _TOKEN.encode() not in result.stdout + result.stderr
    assert b"--fix --unsafe-fixes would fix 1 finding in 1 file\n" in result.stderr


def test_diff_shows_the_host_change_of_a_url_with_a_password() -> None:
    """--diff prints ``diff`` of each change; a URL with a password is shown with only
    its password masked, so a change of its host shows."""
    before = (
        b'app = "shop"\n[env]\n'
        b'  DATABASE_URL = "postgres://ledger:Tr0ub4dor-horse-77@ledger-db.fly.dev:5432/ledger"\n'
    )
    after = before.replace(b"ledger-db.fly.dev", b"ledger-db.flycast")
    assert fixes.diff(fixes.Change(Path("fly.toml"), before, after, ["FLY201"])) == (
        "--- a/fly.toml\n+++ b/fly.toml\n@@ -1,3 +1,3 @@\n"
        ' app = "shop"\n [env]\n'
        '-  DATABASE_URL = "postgres://ledger:***@ledger-db.fly.dev:5432/ledger"\n'
        '+  DATABASE_URL = "postgres://ledger:***@ledger-db.flycast:5432/ledger"\n'
    )
    # Only the password changed: the two sides look the same, the new one is marked.
    rotated = before.replace(b"Tr0ub4dor-horse-77", b"correct-Battery-99")
    assert fixes.diff(fixes.Change(Path("fly.toml"), before, rotated, ["FLY201"])).endswith(
        '-  DATABASE_URL = "postgres://ledger:***@ledger-db.fly.dev:5432/ledger"\n'
        '+  DATABASE_URL = "postgres://ledger:***@ledger-db.fly.dev:5432/ledger"'
        " # (secret changed; not shown)\n"
    )


def test_diff_of_a_file_without_a_last_newline_ends_its_line(tmp_path: Path) -> None:
    """As diff and git write it: the next file's "---" line must not join the last one."""
    (tmp_path / "fly.toml").write_bytes(_UNFIXED.rstrip(b"\n"))
    result = flylint(tmp_path, "--diff", ".")
    assert result.returncode == 1
    assert result.stdout.endswith(
        b"-  force_https = false\n\\ No newline at end of file\n+  force_https = true\n"
        b"+\n+  [http_service.http_options.response.headers]\n"
        b'+    Strict-Transport-Security = "max-age=63072000; includeSubDomains"\n'
    )


_MIXED = 'app = "demo"\n\n[http_service]\n  internal_port = "8080"\n  force_https = false\n'


def _mixed(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "fly.toml").write_text(_MIXED, encoding="utf-8")
    return tmp_path / "fly.toml"


def test_fix_applies_the_safe_fixes_only_and_says_what_it_held_back(tmp_path: Path) -> None:
    path = _mixed(tmp_path)
    result = flylint(tmp_path, "--fix", ".")
    # FLY002's fix is safe (flyctl cannot load "8080" as a port); forcing HTTPS and adding
    # HSTS change what the deployed app does.
    assert path.read_text(encoding="utf-8") == _MIXED.replace('"8080"', "8080")
    assert result.stderr == (
        b"flylint: fixed 1 finding in 1 file\n"
        b"flylint: 2 unsafe fixes not applied: they change what the deployed app does "
        b"(--diff shows them, --fix --unsafe-fixes applies them)\n"
    )
    assert b"FLY201" in result.stdout and b"FLY002" not in result.stdout
    flylint(tmp_path, "--fix", "--unsafe-fixes", ".")
    assert "force_https = true" in path.read_text(encoding="utf-8")


def test_unsafe_fixes_without_fix_is_a_usage_error(tmp_path: Path) -> None:
    _mixed(tmp_path)
    result = flylint(tmp_path, "--unsafe-fixes", ".")
    assert result.returncode == 2
    assert b"--unsafe-fixes goes with --fix" in result.stderr
    assert result.stdout == b""


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs patch(1)")
def test_diff_marks_safe_and_unsafe_fixes_and_patch_applies_them_in_turn(tmp_path: Path) -> None:
    path = _mixed(tmp_path)
    result = flylint(tmp_path, "--diff", ".")
    assert result.returncode == 1
    headers = [line for line in result.stdout.splitlines() if line.startswith(b"# flylint:")]
    assert headers == [
        b"# flylint: safe fixes (--fix): FLY002 at fly.toml:4",
        b"# flylint: unsafe fixes (--fix --unsafe-fixes): FLY202 at fly.toml:3, "
        b"FLY201 at fly.toml:5",
    ]
    assert result.stderr == (
        b"flylint: --fix would fix 1 finding in 1 file; "
        b"--fix --unsafe-fixes would fix 2 findings in 1 file\n"
    )
    patched = subprocess.run(
        ["patch", "-p1", "--quiet"], input=result.stdout, cwd=tmp_path, capture_output=True
    )
    assert patched.returncode == 0, patched.stderr
    via_patch = path.read_bytes()
    path.write_text(_MIXED, encoding="utf-8")
    flylint(tmp_path, "--fix", "--unsafe-fixes", ".")
    assert via_patch == path.read_bytes()
