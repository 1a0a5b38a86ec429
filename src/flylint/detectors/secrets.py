"""The secret detector shared by every secret rule (FLY101-FLY104, FLY106).

The catalog ``rules/catalogs/secrets.toml`` holds the data and documents the thresholds;
this module applies it. A value is a credential when, in this order, it holds a known
token format, a URL with a password, or a credential-looking value under a secret-named
key. Nothing here ever returns or logs a secret unmasked.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter

from flylint.detectors import masking
from flylint.detectors.masking import mask
from flylint.registry import rule_data
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


URL_WITH_PASSWORD = "URL with a password"  # a kind --diff shows partly: only the password


class SecretMatch(Record):
    __slots__ = ("kind", "masked")

    def __init__(self, kind: str, masked: str) -> None:
        self.kind = kind  # what the value is: "Stripe secret key", "URL with a password", ...
        self.masked = masked  # the value masked, safe to print


class _Settings(Record):
    __slots__ = ("allowlist", "extra")

    def __init__(
        self,
        allowlist: frozenset[str] = frozenset(),
        extra: tuple[tuple[str, re.Pattern[str]], ...] = (),
    ) -> None:
        self.allowlist = allowlist
        self.extra = extra  # (description, regex)


_settings = _Settings()


def configure(allowlist: frozenset[str], extra: tuple[tuple[str, re.Pattern[str]], ...]) -> None:
    """The project's own allowlisted values and token patterns (from its configuration)."""
    global _settings
    _settings = _Settings(allowlist, extra)
    masking.configure(tuple(regex for _, regex in extra))


def token_regexes() -> list[tuple[tuple[str, ...], Regex]]:
    """The token formats recognisable without their key, each with the keywords (lower
    case) one of which a text holds before the format can be in it; for ``redact``."""
    return [(p.keywords, p.regex) for p in _catalog().patterns if p.key_regex is None]


def shown(text: str, limit: int = 40) -> str:
    """Text from a file, fit to quote in a message: masked if it is a credential (a token
    pasted into the wrong place) or could be a password (letters with digits or symbols),
    shortened if long."""
    secret = find_secret(None, text)
    if secret is not None:
        return secret.masked
    if len(text) >= 8 and _credential_looking(text, password_key=True):
        return mask(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Pattern(Record):
    __slots__ = ("browser_safe", "description", "id", "key_regex", "keywords", "regex")

    def __init__(
        self,
        id: str,
        description: str,
        regex: Regex,
        keywords: tuple[str, ...],
        browser_safe: bool,
        key_regex: Regex | None,
    ) -> None:
        self.id = id
        self.description = description
        self.regex = regex
        self.keywords = keywords  # a value must contain one (lower-cased) to be tried
        self.browser_safe = browser_safe
        self.key_regex = key_regex


class _Catalog(Record):
    __slots__ = (
        "any_keyword",
        "example_host_suffixes",
        "exempt_keys",
        "exempt_last_words",
        "password_words",
        "patterns",
        "placeholder_values",
        "public_compounds",
        "public_formats",
        "public_prefixes",
        "public_words",
        "raw",
        "secret_compounds",
        "secret_word_endings",
        "secret_words",
        "token_markers",
        "unkeyed",
        "value_markers",
    )

    def __init__(
        self,
        raw: dict[str, Any],
        patterns: tuple[_Pattern, ...],
        public_formats: tuple[Regex, ...],
        placeholder_values: frozenset[str],
        value_markers: tuple[str, ...],
        token_markers: tuple[str, ...],
        password_words: frozenset[str],
        secret_words: frozenset[str],
        secret_word_endings: tuple[str, ...],
        secret_compounds: frozenset[str],
        exempt_last_words: frozenset[str],
        exempt_keys: frozenset[str],
        public_prefixes: tuple[str, ...],
        public_words: frozenset[str],
        public_compounds: frozenset[str],
        example_host_suffixes: tuple[str, ...],
        any_keyword: Regex,
        unkeyed: tuple[_Pattern, ...],
    ) -> None:
        self.raw = raw
        self.patterns = patterns
        self.public_formats = public_formats
        self.placeholder_values = placeholder_values
        self.value_markers = value_markers
        self.token_markers = token_markers
        self.password_words = password_words
        self.secret_words = secret_words
        self.secret_word_endings = secret_word_endings
        self.secret_compounds = secret_compounds
        self.exempt_last_words = exempt_last_words
        self.exempt_keys = exempt_keys
        self.public_prefixes = public_prefixes
        self.public_words = public_words
        self.public_compounds = public_compounds
        self.example_host_suffixes = example_host_suffixes
        self.any_keyword = any_keyword  # any pattern's keyword
        self.unkeyed = unkeyed  # the patterns without keywords

    def threshold(self, name: str) -> float:
        return self.raw["thresholds"][name]


@functools.cache
def _catalog() -> _Catalog:
    raw = rule_data.catalog("secrets")
    keys, placeholders = raw["keys"], raw["placeholders"]
    patterns = tuple(
        _Pattern(
            p["id"],
            p["description"],
            Regex(p["regex"]),
            tuple(p.get("keywords", ())),
            p["browser_safe"],
            Regex(p["key_regex"]) if "key_regex" in p else None,
        )
        for p in raw["patterns"]
    )
    keywords = sorted({word for pattern in patterns for word in pattern.keywords})
    return _Catalog(
        raw=raw,
        patterns=patterns,
        public_formats=tuple(Regex(p["regex"]) for p in raw["public_formats"]),
        placeholder_values=frozenset(placeholders["values"]),
        value_markers=tuple(placeholders["value_markers"]),
        token_markers=tuple(placeholders["token_markers"]),
        password_words=frozenset(keys["password_words"]),
        secret_words=frozenset(keys["secret_words"]),
        secret_word_endings=tuple(keys["secret_word_endings"]),
        secret_compounds=frozenset(keys["secret_compounds"]),
        exempt_last_words=frozenset(keys["exempt_last_words"]),
        exempt_keys=frozenset(keys["exempt_keys"]),
        public_prefixes=tuple(keys["public_prefixes"]),
        public_words=frozenset(keys["public_words"]),
        public_compounds=frozenset(keys["public_compounds"]),
        example_host_suffixes=tuple(placeholders["example_host_suffixes"]),
        # Most values hold no pattern's keyword: one search rules out every pattern that
        # has keywords, and only the others are tried.
        any_keyword=Regex("|".join(map(re.escape, keywords))),
        unkeyed=tuple(pattern for pattern in patterns if not pattern.keywords),
    )


# -- shapes of values --------------------------------------------------------------------

_CAMEL = Regex(r"([a-z0-9])([A-Z])")
_KEY_SPLIT = Regex(r"[^A-Za-z0-9]+")
_REFERENCE = Regex(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.{0,200}\}\}|<[^<>]{1,100}>|%\([A-Za-z_]+\)s|#\{.{1,100}\}|\{[A-Za-z_][A-Za-z0-9_]*\})$"
)
_NUMBER = Regex(r"^[+-]?\d+(?:\.\d+)?$")
_VERSION = Regex(r"^v?\d+(?:\.\d+){1,3}(?:[-+][A-Za-z0-9.]{1,20})?$")
_DURATION = Regex(r"^\d{1,10}\s?(?:ms|s|sec|m|min|h|d|w|y)$", re.IGNORECASE)
_EMAIL = Regex(r"^[^@\s]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}$")
_HOSTNAME = Regex(r"^[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}$")
# Regular expressions (a secret scanner's own patterns) are not credentials.
_REGEX_LIKE = Regex(r"\(\?|\\[dswbDSWB]|\[\^|\.[*+]|\]\{|\)[+*?]|\|\(|\[[^\]]{0,20}\]\+")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def key_words(key: str) -> list[str]:
    """``smtpPassword`` -> [SMTP, PASSWORD]; ``JWT_SECRET_KEY`` -> [JWT, SECRET, KEY]."""
    return [w.upper() for w in _KEY_SPLIT.split(_CAMEL.sub(r"\1_\2", key)) if w]


def _entropy(text: str) -> float:
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def _alnum_lower(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def is_placeholder(value: str) -> bool:
    """A value that stands for a secret instead of being one (see the catalog)."""
    catalog = _catalog()
    text = value.strip()
    if not text or text.lower() in catalog.placeholder_values:
        return True
    if _REFERENCE.match(text) or "${" in text:
        return True
    if _NUMBER.match(text) or _DURATION.match(text):
        return True
    if text.startswith(("/", "./", "../", "~/")):
        return True
    if len(set(text)) == 1:  # "********", "xxxxxxxx"
        return True
    letters = _alnum_lower(text)
    return any(marker in letters for marker in catalog.value_markers)


def _token_is_placeholder(token: str) -> bool:
    catalog = _catalog()
    letters = _alnum_lower(token)
    if any(marker in letters for marker in catalog.token_markers):
        return True
    return _entropy(token) < catalog.threshold("token_min_entropy")


def _classes(text: str) -> int:
    return sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() and c not in "-_." for c in text),
        )
    )


def _transitions(text: str) -> int:
    """Switches letter<->digit and lower->upper inside each separator-free run."""
    count = 0
    previous = ""
    for c in text:
        if c in "-_.":
            previous = ""
            continue
        if previous and (previous.isalpha() != c.isalpha() or (previous.islower() and c.isupper())):
            count += 1
        previous = c
    return count


# -- the three ways a value is a credential -----------------------------------------------


def _token(value: str, words: list[str], public: bool) -> SecretMatch | None:
    catalog = _catalog()
    stripped = value.strip()
    joined = "_".join(words)
    lower = value.lower()
    patterns = catalog.patterns if catalog.any_keyword.search(lower) else catalog.unkeyed
    for pattern in patterns:
        if public and pattern.browser_safe:
            continue
        if pattern.key_regex is not None and not pattern.key_regex.search(joined):
            continue
        if pattern.keywords and not any(word in lower for word in pattern.keywords):
            continue
        for match in pattern.regex.finditer(value):
            if not _token_is_placeholder(match.group()):
                return SecretMatch(pattern.description, mask(stripped))
    return None


def _url_password(value: str) -> SecretMatch | None:
    """``scheme://user:password@host`` with a real password. Scans from each ``://`` over a
    bounded window, so the cost stays linear on adversarial input."""
    catalog = _catalog()
    at = value.find("://") if "@" in value else -1
    while at != -1:
        end = at + 3
        stop = end
        limit = min(len(value), end + 512)
        while stop < limit and value[stop] not in "/?#@ \t\n\"'":
            stop += 1
        if stop < len(value) and value[stop] == "@":
            userinfo = value[end:stop]
            host_end = stop + 1
            while host_end < len(value) and value[host_end] not in "/?#: \t\n\"',;":
                host_end += 1
            host = value[stop + 1 : host_end].strip("[]").lower()
            _, sep, password = userinfo.partition(":")
            if (
                sep
                and password
                and not is_placeholder(password)
                and not _REGEX_LIKE.search(password)
                and host not in _LOCAL_HOSTS
                and not host.endswith(catalog.example_host_suffixes)
            ):
                return SecretMatch(URL_WITH_PASSWORD, mask(value.strip()))
        at = value.find("://", end)
    return None


def _exempt(words: list[str]) -> bool:
    """Whether a key's last word says it names something about a secret (TOKEN_URL), unless
    its last two words are a secret compound of their own (TELEGRAM_API_HASH)."""
    catalog = _catalog()
    if words[-1] not in catalog.exempt_last_words:
        return False
    return len(words) < 2 or f"{words[-2]}_{words[-1]}" not in catalog.secret_compounds


def _secret_named(words: list[str]) -> tuple[bool, bool]:
    """(is the key secret-named, is it a password key)."""
    catalog = _catalog()
    password = any(w in catalog.password_words for w in words)
    named = (
        password
        or any(w in catalog.secret_words for w in words)
        or any(w.endswith(catalog.secret_word_endings) for w in words)
        or any(f"{a}_{b}" in catalog.secret_compounds for a, b in itertools.pairwise(words))
    )
    return named, password


def _credential_looking(value: str, password_key: bool) -> bool:
    catalog = _catalog()
    text = value.strip()
    if not catalog.threshold("min_length") <= len(text) <= catalog.threshold("max_length"):
        return False
    if is_placeholder(text) or any(c.isspace() for c in text) or "://" in text:
        return False
    if _REGEX_LIKE.search(text):
        return False
    if _VERSION.match(text) or _EMAIL.match(text) or _HOSTNAME.match(text):
        return False
    if _entropy(text) < catalog.threshold("value_min_entropy"):
        return False
    has_letter = any(c.isalpha() for c in text)
    if password_key:
        # Human passwords: letters with a digit or a symbol, not a plain word or identifier.
        return has_letter and any(c.isdigit() or (not c.isalnum() and c not in "-_.") for c in text)
    return _classes(text) >= catalog.threshold("min_classes") or _transitions(
        text
    ) >= catalog.threshold("min_transitions")


def _is_public(upper: str, words: list[str]) -> bool:
    catalog = _catalog()
    return (
        upper.startswith(catalog.public_prefixes)
        or any(w in catalog.public_words for w in words)
        or any(f"{a}_{b}" in catalog.public_compounds for a, b in itertools.pairwise(words))
    )


def is_secret_name(key: str) -> bool:
    """A name that announces a secret (``SMTP_PASSWORD``, ``NPM_TOKEN``), not one that
    names something about a secret (``TOKEN_URL``) or is public by design."""
    catalog = _catalog()
    words = key_words(key)
    upper = key.upper()
    if not words or upper in catalog.exempt_keys or _is_public(upper, words):
        return False
    return not _exempt(words) and _secret_named(words)[0]


@functools.cache
def signing_key_names() -> frozenset[str]:
    return frozenset(rule_data.catalog("secrets")["signing_keys"]["names"])


@functools.cache
def signing_functions() -> dict[str, tuple[int, str]]:
    """The calls that sign with a key: name -> (the key's position, its keyword)."""
    return {
        f["name"]: (f["position"], f["keyword"])
        for f in rule_data.catalog("secrets")["signing_keys"]["functions"]
    }


def signing_key(value: str) -> SecretMatch | None:
    """Whether ``value``, used as a framework's signing key, is a real one: any literal
    that is no placeholder and not allowlisted (its form does not matter: a phrase signs
    as well as random bytes)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or text in _settings.allowlist or is_placeholder(text):
        return None
    masking.remember(value)
    return SecretMatch("signing key", mask(text))


def setting_secret(key: str, value: str) -> SecretMatch | None:
    """A credential held by a setting (a fly.toml ``[env]`` or dotenv key): what
    ``find_secret`` finds, or the value of a framework's signing key (``SECRET_KEY``,
    ``JWT_SECRET``) whatever its form, unless a placeholder."""
    found = find_secret(key, value)
    if found is None and key.upper() in signing_key_names():
        found = signing_key(value)
    return found


def find_secret(key: str | None, value: str) -> SecretMatch | None:
    """Whether ``value``, held by ``key`` (an env var, ARG, variable or keyword name, or
    None), is a credential. Only ``SecretMatch.masked`` of the value may be shown; from
    now on ``masking.redact`` masks the value wherever this process writes it."""
    found = _judge(key, value)
    if found is not None:
        masking.remember(value)
    return found


def _judge(key: str | None, value: str) -> SecretMatch | None:
    if not isinstance(value, str) or not value.strip() or value.strip() in _settings.allowlist:
        return None
    for description, regex in _settings.extra:
        # A zero-width match ("\\b", a lookahead) holds no credential.
        if any(match.end() > match.start() for match in regex.finditer(value)):
            return SecretMatch(description, mask(value.strip()))
    catalog = _catalog()
    words = key_words(key) if key else []
    upper = key.upper() if key else ""
    if upper in catalog.exempt_keys:
        return None
    if any(fmt.fullmatch(value.strip()) for fmt in catalog.public_formats):
        return None  # publishable by design, whatever the key says
    public = bool(key) and _is_public(upper, words)
    found = _token(value, words, public) or _url_password(value)
    if found is not None or public or not words:
        return found
    if _exempt(words):
        return None
    named, password_key = _secret_named(words)
    if named and _credential_looking(value, password_key):
        return SecretMatch("password" if password_key else "secret value", mask(value.strip()))
    return None
