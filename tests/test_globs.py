"""Key and file-name patterns match exactly as fnmatch.fnmatchcase would."""

from __future__ import annotations

import fnmatch

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flylint.support import globs

TEXT = st.text(st.sampled_from("ab./"), max_size=8)
PATTERN = st.text(st.sampled_from("ab./***?"), max_size=7)


@settings(max_examples=3000, derandomize=True)
@given(text=TEXT, pattern=PATTERN)
@example(text="a", pattern="*a*a*")  # a middle part may not reuse what the last one matched
@example(text="ab", pattern="ab*ab")  # nor may the head and the tail overlap
def test_a_pattern_matches_as_fnmatch_does(text: str, pattern: str) -> None:
    assert globs.match(text, pattern) == fnmatch.fnmatchcase(text, pattern)


@settings(max_examples=2000, derandomize=True)
@given(text=TEXT, patterns=st.lists(PATTERN, max_size=4))
def test_several_patterns_match_when_any_does(text: str, patterns: list[str]) -> None:
    expected = any(fnmatch.fnmatchcase(text, p) for p in patterns)
    assert globs.Globs(patterns).match(text) == expected
