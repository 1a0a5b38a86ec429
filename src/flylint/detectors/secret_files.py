"""What a file's content says it holds, for FLY105: a private key, a service-account key,
or credentials in ``KEY=value`` lines (dotenv files, ``.npmrc``, ``.pypirc``, ``.netrc``,
AWS credentials, a kubeconfig). Only the kind and the names of the keys that hold
credentials come out, never a value."""

from __future__ import annotations

from flylint.support.lazy_regex import Regex

# Read no further: a secrets file is small, and a large file named like one (a data dump
# called keys.json) is judged by its first part.
_READ_CHARS = 256 * 1024

PRIVATE_KEY = "a private key"
SERVICE_ACCOUNT = "a service-account key"
CREDENTIALS = "credentials"

# PEM: "-----BEGIN PRIVATE KEY-----", "RSA", "EC", "OPENSSH", "ENCRYPTED" ... PRIVATE KEY.
_PEM_PRIVATE_KEY = Regex(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
# A Google service-account key file: its type and the key it carries.
_SERVICE_ACCOUNT = Regex(r'"type"\s*:\s*"service_account"')
_PRIVATE_KEY_FIELD = Regex(r'"private_key"\s*:\s*"-----BEGIN')
# One setting a line: KEY=value (dotenv, .npmrc, AWS credentials), key = value (.pypirc),
# "key": "value" (JSON), key: value (YAML); "export " before a dotenv key.
_SETTING = Regex(
    r"""^\s*(?:export\s+)?["']?([A-Za-z_/][A-Za-z0-9_.\-/:@]*)["']?\s*[=:]\s*(.*?)\s*,?\s*$"""
)
# .netrc: "machine HOST login USER password SECRET", on one line or several.
_NETRC_PASSWORD = Regex(r"(?:^|\s)password\s+(\S+)")


# Files of settings, read line by line for credentials; any other file is looked at for
# a key only (a JSON data file of thousands of lines is no settings file).
_SETTINGS_FILES = Regex(
    r"(?:\.env(?:\..*)?|.*\.env|\.npmrc|\.pypirc|\.netrc|\.git-credentials|credentials"
    r"|config|.*kubeconfig.*)"
)
# A settings file holds few lines: read that many at most.
_SETTINGS_LINES = 2000


def sniff(text: str | None, name: str) -> tuple[str, tuple[str, ...]]:
    """The kind of secret ``text`` (of a file called ``name``) holds ("" when none is
    seen) and the keys that hold credentials (for CREDENTIALS)."""
    if not text:
        return "", ()
    text = text[:_READ_CHARS]
    if _SERVICE_ACCOUNT.search(text) and _PRIVATE_KEY_FIELD.search(text):
        return SERVICE_ACCOUNT, ()
    if _PEM_PRIVATE_KEY.search(text):
        return PRIVATE_KEY, ()
    if not _SETTINGS_FILES.fullmatch(name.lower()):
        return "", ()
    from flylint.detectors import secrets  # only when a settings file is read

    keys = []
    for line in text.splitlines()[:_SETTINGS_LINES]:
        if line.lstrip().startswith(("#", ";", "//", "[")) and "=" not in line:
            continue
        setting = _SETTING.match(line)
        if setting is not None:
            key, value = setting.group(1), _unquoted(setting.group(2))
            if value and secrets.setting_secret(key.rsplit(":", 1)[-1], value) is not None:
                keys.append(key)
            continue
        password = _NETRC_PASSWORD.search(line)
        if password is not None and secrets.find_secret("password", password.group(1)):
            keys.append("password")
    return (CREDENTIALS, tuple(dict.fromkeys(keys))) if keys else ("", ())


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
