"""The secret detector: every catalog pattern's own examples, the spec's findings and
non-findings, masking, and linear time on adversarial input."""

from __future__ import annotations

import time

import pytest

from flylint.detectors.masking import mask
from flylint.detectors.secrets import find_secret
from flylint.registry import rule_data

CATALOG = rule_data.catalog("secrets")
# A Supabase-style anon key: a JWT that is public by design.
ANON_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJmbHlsaW50Iiwicm9sZSI6ImFub24ifQ."
    "0FlyLint0FlyLint0FlyLint0FlyLint0FlyLint0Fl"
)


def _key(pattern: dict) -> str:
    return pattern.get("example_key", "VALUE")


POSITIVES = [
    pytest.param(_key(p), example, p["description"], id=f"{p['id']}-{i}")
    for p in CATALOG["patterns"]
    for i, example in enumerate(p["examples"])
]
NEGATIVES = [
    pytest.param(_key(p), example, p["description"], id=f"{p['id']}-{i}")
    for p in CATALOG["patterns"]
    for i, example in enumerate(p["counterexamples"])
]


@pytest.mark.parametrize(("key", "value", "kind"), POSITIVES)
def test_pattern_examples_are_found(key: str, value: str, kind: str) -> None:
    match = find_secret(key, value)
    assert match is not None
    assert match.kind == kind


@pytest.mark.parametrize(("key", "value", "kind"), NEGATIVES)
def test_pattern_counterexamples_are_not_taken_for_that_format(
    key: str, value: str, kind: str
) -> None:
    # A look-alike may still be a credential by another route (a secret-named key).
    match = find_secret(key, value)
    assert match is None or match.kind != kind


@pytest.mark.parametrize("fmt", CATALOG["public_formats"], ids=lambda f: f["id"])
def test_public_formats_are_never_secrets(fmt: dict) -> None:
    for example in fmt["examples"]:
        assert find_secret("STRIPE_SECRET_KEY", example) is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SMTP_PASSWORD", "summer-Rain-77"),
        ("smtpPassword", "hunter22!"),
        ("DATABASE_URL", "postgres://app:Vq8rT2mLx9Fw@db.internal:5432/app"),
        ("MONGO", "mongodb+srv://reports:reports@cluster0.abcde.mongodb.net/db"),
        ("JWT_SECRET", "c3f1a9e07b2d4e6f8a1c5b9d3e7f2a6c"),
        ("SECRET_KEY", "3#asv$kq9Lm!"),
        ("DJANGO_SECRET_KEY", "django-insecure-7h$k2m9q!x4z@w8r"),
        ("API_KEY", "550e8400-e29b-41d4-a716-446655440000"),
        ("CONFIG", "sk_live_0FlyLint0FlyLint0FlyLint"),
        ("NEXT_PUBLIC_STRIPE_KEY", "sk_live_0FlyLint0FlyLint0FlyLint"),  # private in public
        (None, "ghp_0FlyLint0FlyLint0FlyLint0FlyLint0Fly"),
    ],
)
def test_findings(key: str | None, value: str) -> None:
    assert find_secret(key, value) is not None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SECRET_KEY", "$SECRET_KEY"),
        ("SECRET_KEY", "${SECRET_KEY}"),
        ("SECRET_KEY", "changeme"),
        ("API_TOKEN", "<token>"),
        ("API_TOKEN", "xxx"),
        ("API_TOKEN", "your-api-token-here"),
        ("PASSWORD", "example"),
        ("PASSWORD", "dummy"),
        ("PASSWORD", ""),
        ("PASSWORD", "true"),
        ("TOKEN", "12345678"),
        ("CREDENTIALS", "/run/secrets/x"),
        ("DB_PASSWORD_FILE", "db-password-7Xk2"),
        ("TOKEN_PATH", "tokens/prod-9aF3"),
        ("TOKEN_TTL", "3600s"),
        ("SESSION_SECRET_EXPIRY", "7d"),
        ("PASSWORD_MIN_LENGTH", "12"),
        ("API_KEY_ENABLED", "yes"),
        ("PASSWORD_FIELD", "password"),
        ("AUTH_HEADER_NAME", "X-Api-Token"),
        ("PASSWORD_PARAM", "pwd"),
        ("SECRET_KEY_BASE_DUMMY", "1"),
        ("JWT_SECRET", "my_app_secret"),
        ("JWT_ALGORITHM", "HS256"),
        ("TOKEN_TYPE", "bearer"),
        ("DB_PASSWORD", "postgres"),
        ("SECRET_HOST", "vault.internal.example.com"),
        ("PASSWORD_RESET_EMAIL", "security@example.org"),
        ("TOKEN_URL", "https://oauth2.googleapis.com/token"),
        ("NEXT_PUBLIC_SUPABASE_ANON_KEY", ANON_JWT),
        ("SUPABASE_ANON_KEY", ANON_JWT),
        ("VITE_FIREBASE_API_KEY", "AIzaSy0FlyLint_1FlyLint-Sy0FlyLint_1Fly"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_0FlyLint0FlyLint0FlyLint"),
        ("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db.internal:5432/app"),
        ("DATABASE_URL", "postgres://postgres:postgres@localhost:5432/dev"),
        ("SENTRY_DSN", "https://3f1a9e07b2d4e6f8@o123456.ingest.sentry.io/4501234"),
    ],
)  # fmt: skip
def test_non_findings(key: str, value: str) -> None:
    assert find_secret(key, value) is None


def test_masking_shows_at_most_two_characters() -> None:
    assert mask("sk_live_0FlyLint0FlyLint0FlyLint") == "sk***"
    assert mask("short") == "***"
    match = find_secret("SMTP_PASSWORD", "summer-Rain-77")
    assert match is not None and match.masked == "su***"


ADVERSARIAL = [
    "a" * 1_000_000,
    "eyJ" * 333_333,
    "-----BEGIN " * 90_000,
    "sk_live_" * 125_000,
    "://" * 333_333,
    "a:b@" * 250_000,
    "http://" + "a" * 999_990 + "@",
    ("0FlyLint/" * 111_111)[:1_000_000],
    "xoxb-1-" * 140_000,
    "AKIA" * 250_000,
]


@pytest.mark.parametrize("value", ADVERSARIAL, ids=lambda v: repr(v[:12]))
def test_adversarial_megabyte_line_is_fast(value: str) -> None:
    # Linear scans take ~0.4 s per megabyte here; backtracking would take minutes.
    for key in ("VALUE", "AWS_SECRET_ACCESS_KEY", "TWILIO_AUTH_TOKEN", "SMTP_PASSWORD"):
        start = time.perf_counter()
        find_secret(key, value)
        assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("pattern", CATALOG["patterns"], ids=lambda p: p["id"])
def test_formats_with_a_prefix_declare_keywords(pattern: dict) -> None:
    # Keywords let most values skip most patterns; only key-gated formats may lack them.
    if "key_regex" not in pattern:
        assert pattern["keywords"]
        assert all(word == word.lower() for word in pattern["keywords"])
