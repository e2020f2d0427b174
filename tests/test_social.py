"""Captions: JSON export, benefits extraction, fitting under every platform's limit."""

from __future__ import annotations

import json

from newsletter.content.markup import benefits, render
from newsletter.social.counting import rules

BENEFITS = [
    "Softer lines from relaxed fascia",
    "Brighter skin tone from increased oxygenation",
    "Defined contours from reduced stagnation",
    "A feeling of internal lightness — not just external lift",
]


def test_benefits_list_is_the_most_prominent_bullet_list():
    tree = render(
        "Intro.\n\n1. step\n2. step\n\nIt brings:\n\n- one\n- **two**\n- three\n\nLater:\n\n- x\n- y\n"
    ).tree
    assert benefits(tree) == (("one", "two", "three"), "It brings:")


def test_benefits_without_a_list_is_empty():
    assert benefits(render("Just prose.\n").tree) == ((), "")


def test_social_json_lists_every_caption_within_its_limit(sample, cli):
    result = cli("--project", sample.root, "social", "--format", "json")
    assert result.exit_code == 0, result.output
    captions = json.loads(result.stdout)
    table = rules()
    for caption in captions:
        assert {"post", "platform", "kind", "text", "length", "limit"} <= set(caption)
        assert caption["length"] <= caption["limit"]
        assert caption["limit"] == table[caption["platform"]].limit
        texts = caption.get("parts") or [caption["text"]]
        assert max(table[caption["platform"]].measure(t) for t in texts) == caption["length"]
    combos = {(c["post"], c["platform"], c["kind"]) for c in captions}
    for post in ("why-facial-muscles-need-movement", "facial-massage-and-tissue-regeneration"):
        for platform in ("x", "bluesky", "linkedin", "instagram"):
            assert (post, platform, "teaser") in combos
            assert (post, platform, "benefits") in combos


def test_benefits_caption_carries_all_four_benefits(sample, cli):
    result = cli("--project", sample.root, "social", "why-facial-muscles-need-movement",
                 "--kind", "benefits", "--format", "json")  # fmt: skip
    captions = json.loads(result.stdout)
    assert {c["platform"] for c in captions} == set(rules())
    for caption in captions:
        # the list's lead-in or heading comes with it; X and Bluesky (280, 300) have room for three
        # items and say so
        short = caption["platform"] in ("x", "bluesky")
        shown = BENEFITS[:3] if short else BENEFITS
        for item in shown:
            assert item in caption["text"], (caption["platform"], item)
        assert ("+1 more in the article" in caption["text"]) == short
        assert "stillness and flow:" in caption["text"] or "long-term benefits:" in caption["text"]


def test_x_uses_cheap_bullets_and_others_round_ones(sample, cli):
    result = cli("--project", sample.root, "social", "why-facial-muscles-need-movement",
                 "--kind", "benefits", "--platform", "x", "--platform", "linkedin", "--format", "json")  # fmt: skip
    by_platform = {c["platform"]: c["text"] for c in json.loads(result.stdout)}
    assert "- Softer lines" in by_platform["x"] and "•" not in by_platform["x"]
    assert "• Softer lines" in by_platform["linkedin"]


def test_instagram_says_link_in_bio_and_carries_no_url(sample, cli):
    result = cli("--project", sample.root, "social", "--platform", "instagram", "--format", "json")
    for caption in json.loads(result.stdout):
        assert "http" not in caption["text"]
        assert "Link in bio." in caption["text"]
        assert caption["text"].count("#") <= 5


def test_long_summary_is_cut_at_a_word_with_an_ellipsis(project, cli):
    summary = " ".join(["Facial"] + ["massage"] * 80) + "."
    project.post(
        "2026-10-14-long.md", f"---\ntitle: Long\ndate: 2026-10-14\nsummary: {summary}\n---\n\nBody.\n"
    )
    result = cli(
        "--project", project.root, "social", "--platform", "x", "--kind", "teaser", "--format", "json"
    )
    (caption,) = json.loads(result.stdout)
    assert caption["length"] <= 280
    assert "massage…" in caption["text"]
    assert "massag…" not in caption["text"]


def test_text_report_shows_length_limit_and_fold(sample, cli):
    result = cli("--project", sample.root, "social", "why-facial-muscles-need-movement",
                 "--platform", "linkedin", "--kind", "teaser")  # fmt: skip
    assert result.stdout.startswith("== why-facial-muscles-need-movement · linkedin · teaser · ")
    assert "/3000, folds at 210\n" in result.stdout


def test_unknown_post_and_platform_are_clear_errors(sample, cli):
    missing = cli("--project", sample.root, "social", "nope")
    assert missing.exit_code == 1
    assert missing.stderr == "nope: no such post (give a file in posts/ or a slug; see 'newsletter list')\n"
    bad = cli("--project", sample.root, "social", "--platform", "myspace")
    assert bad.exit_code == 2
