"""Issue 21, item 8: `newsletter check` lints captions as a follower reads them, made from the article or
edited in its social file (there, a warning names the file's line): a post that starts mid-sentence, a
sentence pointing back at what it does not show, a title too long for the platform, a list without its
heading, a link with someone else's utm_source. (A card character no font has: test_card_scripts.py.)
The same functions judge every caption of the corpus (tests/caption_checks.py)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

SOCIAL = "posts/2026-10-17-why-facial-muscles-need-movement.social.yaml"
LINK = "https://viaskincare.com/blog/why-facial-muscles-need-movement"
CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def _check(project, cli, social: str = "") -> list[str]:
    """The check's warnings of captions, and that check still fails on nothing and draws no card."""
    if social:
        (project.root / SOCIAL).write_text(textwrap.dedent(social), encoding="utf-8")
    result = cli("--project", project.root, "check", "--all")
    assert result.exit_code == 0, result.stdout
    return [line for line in result.stdout.splitlines() if "[caption-" in line]


def test_a_post_that_starts_mid_sentence(sample, cli):
    found = _check(sample, cli, "x:\n  thread:\n    2: and that is why the face needs to move, every day.\n")
    assert found == [f"{SOCIAL}:3: warning[caption-mid-sentence]: the X thread's post 2 starts mid-sentence: "
                     "“and that is why the face needs to move, every day.”"]  # fmt: skip


def test_a_sentence_pointing_back_at_what_it_does_not_show(sample, cli):
    found = _check(sample, cli, """\
        bluesky:
          thread:
            3: That’s why they’re called expressive muscles — they allow emotion to appear through movement.
          quote: |-
            “They need movement, not exercise: a gentle hand, every week.”
            — Katerina Summers
        """)  # fmt: skip
    assert found == [
        f"{SOCIAL}:3: warning[caption-dangling]: the Bluesky thread's post 3 points back at what it does not "
        "show: “That’s why they’re called expressive muscles — they allow…”",
        f"{SOCIAL}:4: warning[caption-dangling]: the Bluesky quote caption points back at what it does not "
        "show: “They need movement, not exercise: a gentle hand, every week.”",
    ]


def test_a_title_too_long_for_the_platform(project, cli):
    shutil.copy(CORPUS / "2026-10-31-sensitive-skin-cold-months-guide.md", project.posts)
    found = _check(project, cli)
    where = "posts/2026-10-31-sensitive-skin-cold-months-guide.md: warning[caption-title]: the title (174 " \
            "characters) is too long for"  # fmt: skip
    title = (
        "The Complete Guide to Caring for Sensitive, Reactive, Redness-Prone Skin Through the Cold, Dry and"
    )
    assert found == [
        f"{where} Bluesky: its thread caption shows it as “{title} Windy Months of Late Autumn and Early Winter "
        "Without Stripping Your…”",
        f"{where} Instagram: its teaser caption shows it as “{title} Windy Months of Late … see more”",
        f"{where} Pinterest: its pin's title shows it as “{title}…”",
        f"{where} X: its thread caption shows it as “{title} Windy Months of Late Autumn and Early Winter "
        "Without…”",
    ]


def test_a_list_without_its_heading(sample, cli):
    found = _check(sample, cli, f"""\
        linkedin:
          benefits: |-
            Why Facial Muscles Need Movement

            • Softer lines from relaxed fascia
            • Brighter skin tone from increased oxygenation

            Read more: {LINK}
        """)  # fmt: skip
    assert found == [f"{SOCIAL}:2: warning[caption-list]: the LinkedIn benefits caption shows a list without its "
                     "heading or lead-in: “• Softer lines from relaxed fascia”"]  # fmt: skip


def test_a_link_with_someone_elses_utm_source(sample, cli):
    found = _check(sample, cli, f"""\
        linkedin:
          teaser: |-
            Why Facial Muscles Need Movement

            Read more: {LINK}?utm_source=x&utm_medium=social
        mastodon:
          teaser: "Read more: {LINK}?utm_source=mastodon"
        """)  # fmt: skip
    assert found == [f"{SOCIAL}:2: warning[caption-utm]: the LinkedIn teaser caption links {LINK}?utm_source=x&"
                     "utm_medium=social, which carries utm_source=x, not linkedin: its visits would count for "
                     "another campaign"]  # fmt: skip


def test_the_captions_the_sample_gives_have_nothing_to_lint(sample, cli):
    assert _check(sample, cli) == []
