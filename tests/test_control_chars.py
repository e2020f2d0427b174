"""Every output filters the same control-character classes as the Subject line (one function,
newsletter/email/headers.py `visible`): a title holding any of them is either refused with its line
(controls and line separators) or reaches no output file with the character in it."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest

from newsletter.email import headers

# Shown: the character is dropped (invisible format characters) or becomes a space (tab).
DROPPED = {
    "LRE": "\u202a", "RLE": "\u202b", "PDF": "\u202c", "LRO": "\u202d", "RLO": "\u202e",
    "LRI": "\u2066", "RLI": "\u2067", "FSI": "\u2068", "PDI": "\u2069", "LRM": "\u200e", "RLM": "\u200f",
    "ALM": "\u061c", "ZWSP": "\u200b", "ZWNJ": "\u200c", "ZWJ": "\u200d", "BOM": "\ufeff", "WJ": "\u2060",
    "invisible-times": "\u2062", "invisible-plus": "\u2064", "inhibit-swapping": "\u206a",
    "nominal-digits": "\u206f", "mongolian-vowel-separator": "\u180e", "annotation-anchor": "\ufff9",
    "language-tag": "\U000e0001", "tag-a": "\U000e0041",
}  # fmt: skip
SPACED = {"TAB": "\t"}
# Refused where the front matter is read: these split lines in mail headers and captions.
REFUSED = {
    "NUL": "\x00", "SOH": "\x01", "BEL": "\x07", "ESC": "\x1b", "US": "\x1f", "DEL": "\x7f",
    "PAD": "\x80", "NEL": "\x85", "CSI": "\x9b", "APC": "\x9f", "LS": "\u2028", "PS": "\u2029",
    "FF": "\x0c", "VT": "\x0b",
}  # fmt: skip
OUTPUTS = ("email.html", "email.txt", "index.html", "captions.json", "captions.md")


def _yaml(text: str) -> str:
    """A double-quoted YAML scalar with every non-ASCII or control character escaped."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif " " <= c <= "~":
            out.append(c)
        elif ord(c) <= 0xFFFF:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    return '"' + "".join(out) + '"'


def _week(n: int) -> tuple[str, str]:
    """The n-th Wednesday from 2026-01-07 and its ISO week."""
    import datetime as dt

    day = dt.date(2026, 1, 7) + dt.timedelta(weeks=n)
    year, week, _ = day.isocalendar()
    return day.isoformat(), f"{year}-W{week:02d}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One project, one week per character class, built once with --all."""
    from click.testing import CliRunner
    from conftest import SETTINGS, TEMPLATES

    from newsletter.cli import main

    root = tmp_path_factory.mktemp("chars")
    (root / "setup.cfg").write_text(SETTINGS, encoding="utf-8")
    (root / "posts").mkdir()
    weeks = {}
    for n, (name, char) in enumerate({**DROPPED, **SPACED}.items()):
        date, week = _week(n)
        title = f"Calm{char}skin {name}"
        post = f"---\ntitle: {_yaml(title)}\ndate: {date}\n---\n\nA calm paragraph about skin.\n"
        (root / "posts" / f"{date}-calm-{n}.md").write_text(post, encoding="utf-8")
        weeks[name] = (week, char)
    assert TEMPLATES.is_dir()
    result = CliRunner().invoke(main, ["--project", str(root), "build", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "build", weeks


@pytest.mark.parametrize("name", [*DROPPED, *SPACED])
def test_a_title_character_reaches_no_output(built, name):
    build, weeks = built
    week, char = weeks[name]
    shown = f"Calm{' ' if name in SPACED else ''}skin {name}"
    folder = build / week
    for output in OUTPUTS:
        text = (folder / output).read_text(encoding="utf-8")
        if output == "captions.json":
            text = json.dumps(json.loads(text), ensure_ascii=False)
        assert shown in text, (output, name)
        assert f"Calm{char}" not in text and "Calm&#" not in text, (output, name)
    if char not in "\ufeff\u200c\u200d":  # the preheader's padding holds these on purpose
        for output in ("email.txt", "captions.json", "captions.md"):
            assert char not in (folder / output).read_text(encoding="utf-8"), (output, name)
    eml = message_from_bytes((folder / "email.eml").read_bytes(), policy=policy.default)
    assert shown in eml["Subject"] and char not in eml["Subject"]
    for page in ("index.html", "feed.xml"):  # the archive and the feed list every week's title
        text = (build / page).read_text(encoding="utf-8")
        assert shown in text and f"Calm{char}" not in text, (page, name)


@pytest.mark.parametrize("name", REFUSED)
def test_a_title_control_character_is_refused_with_its_line(project, cli, name):
    char = REFUSED[name]
    project.post(
        "2026-10-14-calm.md", f"---\ntitle: {_yaml(f'Calm{char}skin')}\ndate: 2026-10-14\n---\n\nText.\n"
    )
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    what = "a NUL character (\\0)" if char == "\x00" else f"the control character U+{ord(char):04X}"
    assert (
        result.stderr
        == f"posts/2026-10-14-calm.md:2: 'title' contains {what}; remove it\nAborted: 1 error found.\n"
    )


def test_the_subject_and_every_other_output_share_one_filter():
    for char in [*DROPPED.values(), *REFUSED.values()]:
        assert headers.clean(f"a{char}b") == " ".join(headers.visible(f"a{char}b").split())
        assert char not in headers.visible(f"a{char}b")
    assert headers.visible(
        "x👩\u200d👧 \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    ) == (
        "x👩\u200d👧 \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    )  # an emoji's joiner and a flag's tags stay
    assert headers.visible("one\u202e\nline\ttwo", lines=True) == "one\nline two"
