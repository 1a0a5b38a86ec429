"""``--baseline``: adopt flylint on an old repository and see only new findings."""

from __future__ import annotations

import json
from pathlib import Path

from flylint.cli import main

OLD = 'app = "shop"\n\n[env]\n  SMTP_PASSWORD = "summer-Rain-77"\n'


def lint(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--format", "concise", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_baseline_hides_known_findings_and_shows_new_ones(tmp_path: Path, capsys) -> None:
    config = tmp_path / "fly.toml"
    config.write_text(OLD, encoding="utf-8")
    known = tmp_path / "flylint-baseline.json"

    code, out, err = lint(capsys, str(tmp_path), "--baseline", str(known))
    assert (code, out) == (0, "")
    assert "with 1 findings" in err
    document = json.loads(known.read_text(encoding="utf-8"))
    assert [f["rule"] for f in document["findings"]] == ["FLY101"]
    assert "summer-Rain-77" not in known.read_text(encoding="utf-8")

    assert lint(capsys, str(tmp_path), "--baseline", str(known))[:2] == (0, "")

    # Lines move above the known finding, and a new one appears.
    config.write_text(
        "# moved by a reformat\n\n" + OLD + '  MAIL_PASSWORD = "winter-Snow-88"\n',
        encoding="utf-8",
    )
    code, out, _ = lint(capsys, str(tmp_path), "--baseline", str(known))
    assert code == 1
    assert [line.split(": ")[1].split()[0] for line in out.splitlines()] == ["FLY101"]
    assert "MAIL_PASSWORD" in out

    main(["check", str(tmp_path), "--baseline", str(known)])
    assert "1 known finding in the baseline not shown." in capsys.readouterr().out


def test_a_file_that_is_not_a_baseline_is_an_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "fly.toml").write_text(OLD, encoding="utf-8")
    bogus = tmp_path / "baseline.json"
    bogus.write_text("[1, 2]\n", encoding="utf-8")
    code, _, err = lint(capsys, str(tmp_path), "--baseline", str(bogus))
    assert code == 2
    assert "not a flylint baseline" in err
