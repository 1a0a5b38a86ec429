"""The one masking function every byte that leaves flylint goes through.

Findings mask the values they report when they are made (``mask``). ``redact`` is the
last step before any text is written anywhere (stdout, stderr, ``-o`` files, the language
server, the cache, baselines, ``--diff``): it masks, by value and wherever they stand,
every credential it can recognise without context (the catalog's token formats, URL
passwords, private keys, the project's own ``extra-patterns``) and every value a secret
rule of this process judged a credential (``remember``). A secret pasted as a key, a
comment, a file name or a suppression's text is masked there too.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Values shorter than this are not remembered: masking every "abc" of a report would
# garble it, and such values are not credentials a rule reports.
_MIN_REMEMBERED = 6
# scheme://user:PASSWORD@ : the password is masked, the rest of the URL stays readable.
_URL_PASSWORD = r"(?<=://)(?:[^\s:/?#@\"'<>]{0,256}):(?P<password>[^\s/?#@\"'<>]{1,512})(?=@)"


def mask(value: str) -> str:
    """At most the first two characters, and only for values long enough to stay secret."""
    return f"{value[:2]}***" if len(value) >= 8 else "***"


class _State:
    __slots__ = ("extra", "known")

    def __init__(self) -> None:
        self.known: list[str] = []  # longest first: a value inside another is not cut
        self.extra: tuple[Any, ...] = ()  # compiled extra-patterns (linear-time engines)


_state = _State()
_URL = re.compile(_URL_PASSWORD)


def remember(value: str) -> None:
    """``value`` is a credential: mask it wherever it appears in what this process writes."""
    value = value.strip()
    if len(value) >= _MIN_REMEMBERED and value not in _state.known:
        # A new list, never one changed in place: the language server's event loop may
        # be redacting with the old one while its linting thread remembers.
        _state.known = sorted([*_state.known, value], key=len, reverse=True)


def forget() -> None:
    """A new run: what earlier runs of this process found is theirs (the language server
    lints for hours; a test suite runs many projects in one process)."""
    _state.known = []


def configure(extra: tuple[Any, ...]) -> None:
    """The project's own token patterns (compiled ``extra-patterns``)."""
    _state.extra = extra


def _masked(match: re.Match[str]) -> str:
    return mask(match.group())


def _masked_password(match: re.Match[str]) -> str:
    start = match.start("password") - match.start()
    return f"{match.group()[:start]}***"


def redact(text: str) -> str:
    """``text`` with every credential in it masked. Linear in ``text``: a token format is
    only searched for when one of its literal keywords is in the text."""
    if not text:
        return text
    from flylint.detectors.secrets import token_regexes

    lower = text.lower()
    for keywords, regex in token_regexes():
        if any(keyword in lower for keyword in keywords):
            text = regex.sub(_masked, text)
    if "://" in text and "@" in text:
        text = _URL.sub(_masked_password, text)
    for value in _state.known:
        if value in text:
            text = text.replace(value, mask(value))
    for regex in _state.extra:
        text = _sub_extra(regex, text)
    return text


def _sub_extra(regex: Any, text: str) -> str:
    pieces, end = [], 0
    for match in regex.finditer(text):
        if match.end() > match.start():
            pieces += [text[end : match.start()], mask(match.group())]
            end = match.end()
    return "".join(pieces) + text[end:] if pieces else text
