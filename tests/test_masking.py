"""No output format ever prints a secret value found in any fixture or example."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from flylint.cli import main
from flylint.detectors.secrets import find_secret
from flylint.diagnostics import FileKind
from flylint.files import dockerfile, reading
from flylint.files.discovery import classify
from flylint.output import FORMATS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
INPUTS = [ROOT / "tests" / "fixtures", ROOT / "examples"]


def _secret_values() -> list[str]:
    values = []
    for path in sorted(p for base in INPUTS for p in base.rglob("*.toml")):
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        values += [value for key, value in _strings(config) if find_secret(key, value)]
    for path in sorted(p for base in INPUTS for p in base.rglob("*")):
        if not path.is_file() or classify(path.name) is not FileKind.DOCKERFILE:
            continue
        parsed = dockerfile.parse(reading.read(path, FileKind.DOCKERFILE))
        readers = {"ENV": dockerfile.env_settings, "ARG": dockerfile.arg_settings}
        for instruction in parsed.instructions:
            read = readers.get(instruction.keyword)
            for setting in read(instruction) if read else ():
                if setting.value and find_secret(setting.key, setting.value):
                    values.append(setting.value)
    return values


def _strings(node: object, key: str | None = None) -> list[tuple[str | None, str]]:
    """Every key and string value of a parsed TOML document, with the key that holds it."""
    if isinstance(node, str):
        return [(key, node)]
    if isinstance(node, dict):  # keys too: a token pasted as a key is still a token
        return [found for k, v in node.items() for found in [(None, k), *_strings(v, k)]]
    if isinstance(node, list):
        return [found for v in node for found in _strings(v, key)]
    return []


SECRETS = _secret_values()


def _hidden_parts(value: str) -> list[str]:
    """What must never appear: all but the 2 characters a mask may show, and a URL's password."""
    parts = [value[2:]]
    if "://" in value:
        password = urlsplit(value).password
        if password:
            parts.append(password)
    return parts


def test_fixtures_hold_secrets_to_check() -> None:
    assert len(SECRETS) >= 20


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_prints_a_secret(fmt: str, capsys) -> None:
    main(["check", *map(str, INPUTS), "--format", fmt])
    out = capsys.readouterr()
    printed = out.out + out.err
    assert "FLY101" in printed
    for value in SECRETS:
        for hidden in _hidden_parts(value):
            assert hidden not in printed, f"{fmt} output shows a secret ({value[:2]}***)"


TOKEN = "ghp_" + "Zq8Xw2Lm4Np6Rt0Vb3Yc5Hd7Jf9Kg1Ms2QaE"


@pytest.mark.parametrize(
    "config",
    [
        f'select = ["{TOKEN}"]\n',
        f'[per-file-ignores]\n"{TOKEN}" = ["{TOKEN}"]\n',
        f'[secrets]\nallowlist = "{TOKEN}"\n',
        f'[secrets]\nextra-patterns = [{{ id = "{TOKEN}", description = "x", regex = "(" }}]\n',
        f"{TOKEN} = 1\n",
        f'select = [\n"{TOKEN}\n',
    ],
)
def test_configuration_errors_quote_no_credential(config: str, tmp_path: Path, capsys) -> None:
    """A token pasted into flylint's own configuration: the error names the problem, and
    what it quotes is masked."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "flylint.toml").write_text(config, encoding="utf-8")
    (tmp_path / "fly.toml").write_text('app = "web"\n', encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 2
    printed = capsys.readouterr()
    assert "error" in printed.err
    assert TOKEN[2:] not in printed.out + printed.err


def test_a_file_larger_than_it_says_is_read_no_further(monkeypatch) -> None:
    """/proc files report size 0: the read itself stops one byte past the limit."""
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc")
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 16)
    reading.status(status)  # size 0 passes the size check
    with pytest.raises(reading.Unreadable, match="over the"):
        reading.read_checked(status)
