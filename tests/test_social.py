"""Captions: JSON export, benefits extraction, fitting under every platform's limit."""

from __future__ import annotations

import json

import pytest

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


# Issue 21: what a social manager saw go wrong, each through the command line.
def _json(cli, project, *args):
    result = cli("--project", project.root, "social", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


MISTAKES = """\
---
title: Gua Sha at Home
date: 2026-10-14
author: Katerina Summers
---

Gua sha is a calm ritual when it is done with a light hand.

## What gua sha does well

[Click me](javascript:alert(1))

Done with a good oil, regular gua sha can:

- ease tension in the jaw
- reduce morning puffiness
- bring a warm glow to dull skin

## Five mistakes we see most often

- Pressing too hard and leaving red streaks
- Working on dry skin without oil
- Sharing the same stone without cleaning it

Questions? Ask us at your next appointment.
"""


def test_a_refused_link_never_speaks_and_a_list_of_mistakes_is_never_the_benefits(project, cli):
    project.post("2026-10-14-gua-sha.md", MISTAKES)
    made = _json(cli, project)
    assert made and not [c for c in made if "Click me" in c["text"]]
    for caption in (c for c in made if c["kind"] == "benefits"):
        assert "- ease tension in the jaw" in caption["text"].replace("•", "-")
        assert "Pressing too hard" not in caption["text"]
    (thread,) = [c for c in made if (c["platform"], c["kind"]) == ("x", "thread")]
    mistakes = next(p for p in thread["parts"] if "Pressing too hard" in p)
    assert mistakes.startswith("Five mistakes we see most often\n\n- Pressing too hard")  # its own heading
    assert "Questions?" not in mistakes.split("- Pressing")[0]  # not introduced by what follows it


def test_a_blockquote_is_credited_once_to_whom_it_names_in_nested_curly_quotes(project, cli):
    project.post(
        "2026-10-14-interview.md",
        """\
        ---
        title: A Conversation With Daniel Reyes
        date: 2026-10-14
        author: Katerina Summers
        ---

        We asked him how firm a facial massage should be.

        > "Most people press far harder than the "tissue" needs." — Daniel Reyes, skin therapist
        """,
    )
    (caption,) = _json(cli, project, "--platform", "x", "--kind", "quote")
    assert caption["text"].startswith(
        "“Most people press far harder than the ‘tissue’ needs.”\n— Daniel Reyes, skin therapist\n"
    )
    assert caption["text"].count("Daniel Reyes") == 2  # the credit, and the title it quotes from
    assert "Katerina" not in caption["text"] and '"' not in caption["text"]


def test_a_cite_credits_the_quote_and_a_question_or_a_list_item_is_never_the_quote(project, cli):
    project.post(
        "2026-10-14-tools.md",
        """\
        ---
        title: On Tools
        date: 2026-10-14
        author: Katerina Summers
        ---

        > Why would a roller ever feel a knot?

        - Warm the oil between your palms before you start.

        > A roller cannot feel a knot, but your fingers always can.
        >
        > <cite>Daniel Reyes</cite>
        """,
    )
    (caption,) = _json(cli, project, "--platform", "linkedin", "--kind", "quote")
    assert caption["text"].startswith(
        "“A roller cannot feel a knot, but your fingers always can.”\n— Daniel Reyes\n"
    )


def test_no_quote_caption_from_a_paraphrase_or_a_fragment(project, cli):
    project.post(
        "2026-10-14-short.md",
        """\
        ---
        title: Short
        date: 2026-10-14
        author: Katerina Summers
        summary: A paraphrase of the article that nobody wrote in it.
        ---

        It moves fluid. Not muscle.
        """,
    )
    assert not _json(cli, project, "--kind", "quote")


def test_a_long_title_shortens_the_hook_and_no_post_starts_mid_sentence(project, cli):
    title = "The Complete Guide to Caring for Sensitive Skin " + "Through the Cold Dry Windy Months " * 5
    project.post("2026-10-14-long-title.md", f"""\
        ---
        title: "{title.strip()}"
        date: 2026-10-14
        summary: "Sensitive skin reacts to cold wind and dry air, often in the same afternoon. This guide walks through what helps."
        ---

        ## What changes in the skin

        Cold air holds less moisture, and heating dries the air indoors.
        """)  # fmt: skip
    (thread,) = _json(cli, project, "--platform", "x", "--kind", "thread")
    first, second = thread["parts"][0].split("\n\n"), thread["parts"][1]
    assert first[0].endswith("…") and first[1].startswith("Sensitive skin reacts")
    assert first[1].endswith(("afternoon.", "…"))
    assert second.startswith(("This guide walks", "What changes in the skin"))


def test_benefits_keep_three_items_and_say_how_many_are_left_out(project, cli):
    items = "\n".join(
        f"- Benefit number {n} of regular lymphatic massage for tired skin" for n in range(1, 8)
    )
    project.post("2026-10-14-many.md", f"---\ntitle: Seven Benefits\ndate: 2026-10-14\n---\n\n"
                 f"Massage helps in many ways.\n\n## The benefits\n\n{items}\n")  # fmt: skip
    by = {c["platform"]: c["text"] for c in _json(cli, project, "--kind", "benefits")}
    x = by["x"]
    shown = x.count("\n- Benefit number")
    assert shown >= 3 and f"+{7 - shown} more in the article" in x
    assert "The benefits:\n\n- Benefit number 1" in x
    assert "more in the article" not in by["linkedin"]  # room for all seven


def test_stale_tracking_on_the_sites_own_links_is_replaced_never_doubled(project, cli):
    project.post("2026-10-14-links.md", """\
        ---
        title: Links
        date: 2026-10-14
        ---

        See [our patch-test guide](https://viaskincare.com/blog/patch?utm_source=old&utm_content=x) for details.
        Read the [AAD tips](https://www.aad.org/tips?utm_source=newsletter) too.
        """)  # fmt: skip
    by = {c["platform"]: c["text"] for c in _json(cli, project, "--kind", "thread")}
    assert "our patch-test guide https://viaskincare.com/blog/patch?utm_source=x&utm_medium=social" in by["x"]
    assert "utm_source=old" not in by["x"] and "utm_content" not in by["x"]
    assert "our patch-test guide https://viaskincare.com/blog/patch for details." in by["bluesky"]
    assert "https://www.aad.org/tips?utm_source=newsletter" in by["x"]  # another site's link is theirs


def test_a_link_inside_a_japanese_sentence_keeps_the_words_after_it_off_the_url(project, cli):
    project.post("2026-10-14-ja.md", """\
        ---
        title: 冬の乾燥肌を守る習慣
        date: 2026-10-14
        ---

        冬は空気が乾燥し、肌の水分が失われやすい季節です。毎日の小さな習慣で、肌のうるおいを守ります。

        詳しくは[予約ページ](https://viaskincare.com/book)をご覧ください。Then see [the tips](https://example.org/tips).
        """)  # fmt: skip
    by = {c["platform"]: c["text"] for c in _json(cli, project, "--kind", "thread")}
    assert "予約ページ https://viaskincare.com/book?utm_source=x&utm_medium=social" in by["x"]
    assert "&utm_campaign=weekly-2026-W42 をご覧ください。" in by["x"]
    assert "予約ページ https://viaskincare.com/book をご覧ください。" in by["bluesky"]
    assert "https://example.org/tips." in by["bluesky"]  # ASCII punctuation stays on the link, as before


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("Use **[our page](https://example.com/studio)**で予約できます。", "our page https://example.com/studio で予約できます。"),
        ("Read [the form](https://example.com/form)*today* please.", "the form https://example.com/form today please."),
        ("Try [the app](https://example.com/app)-based booking.", "the app https://example.com/app -based booking."),
        ("Ask [Via](https://example.com)'s team.", "Via https://example.com 's team."),
        ("See [the tips](https://example.com/tips).", "the tips https://example.com/tips."),
        ("Mail [us](mailto:hi@example.com)までどうぞ。", "us mailto:hi@example.com までどうぞ。"),
    ],
)  # fmt: skip
def test_what_follows_a_link_never_becomes_part_of_its_url(line, said):
    from newsletter.content import markup
    from newsletter.social.article import inline

    paragraph = markup.render(line).tree[0]
    assert inline(paragraph, lambda href: href) == line.split("[")[0].replace("**", "") + said


def test_items_whose_labels_would_say_the_same_stay_whole():
    from newsletter.social.cards import distinct_labels, label_of

    assert distinct_labels(("Cleanse: rinse gently", "Cleanse: then pat dry")) == (
        "Cleanse: rinse gently", "Cleanse: then pat dry")  # fmt: skip
    assert distinct_labels(("保湿：朝と夜", "洗顔：ぬるま湯で")) == ("保湿", "洗顔")
    assert label_of("保湿：時間: 朝と夜に") == "保湿" and label_of("：説明だけ") == "：説明だけ"


def test_a_scheduler_export_with_nothing_to_schedule_says_why(project, cli, tmp_path):
    project.post("2026-10-14-plain.md", "---\ntitle: Plain\ndate: 2026-10-14\n---\n\nNo list here at all.\n")
    result = cli("--project", project.root, "social", "plain", "--kind", "benefits", "--format", "buffer",
                 "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "warning: no benefits caption for any platform" in result.stderr and not (tmp_path / "out").exists()
    )


def test_a_draft_is_named_at_its_front_matter_line_never_the_body(project, cli):
    project.post(
        "2026-10-14-d.md", "---\ntitle: D\ndate: 2026-10-14\n'draft': on\n---\n\n```yaml\ndraft: true\n```\n"
    )
    result = cli("--project", project.root, "social", "d")
    assert result.exit_code == 1
    assert result.stderr.startswith("posts/2026-10-14-d.md:4: is a draft")


def test_a_japanese_list_is_introduced_with_a_full_width_colon_and_condensed_to_its_labels(project, cli):
    items = ["ぬるま湯で洗顔する：熱いお湯は必要な皮脂まで落としてしまいます。",
             "洗顔後すぐに保湿する：タオルで押さえたら、1分以内に化粧水をつけましょう。",
             "加湿器を使う：室内の湿度は50〜60％が理想です。", "日焼け止めを忘れない：冬でも紫外線は肌にダメージを与えます。",
             "睡眠をしっかりとる：肌は寝ている間に修復されます。"]  # fmt: skip
    listed = "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))
    project.post("2026-10-14-ja.md", f"---\ntitle: 冬の乾燥肌を守る5つの習慣\ndate: 2026-10-14\n---\n\n"
                 f"冬は空気が乾燥する季節です。\n\n## 乾燥肌を守る5つの習慣\n\n{listed}\n")  # fmt: skip
    by = {c["platform"]: c["text"] for c in _json(cli, project, "--kind", "benefits")}
    labels = "\n".join(f"{n}. {item.split('：')[0]}" for n, item in enumerate(items, 1))
    assert f"乾燥肌を守る5つの習慣：\n\n{labels}\n" in by["x"]  # the whole items do not fit 280 on X
    assert f"乾燥肌を守る5つの習慣：\n\n{listed}\n" in by["bluesky"]


def test_a_heading_above_a_lead_that_introduces_the_list_gets_no_colon(project, cli):
    # 'It brings:' introduces the list and points back at the heading: the heading is a title line
    # above it, not a second lead-in ("Why we love rollers:\nIt brings:")
    project.post("2026-10-14-r.md", "---\ntitle: Rollers\ndate: 2026-10-14\n---\n\nAbout rollers at home.\n\n"
                 "## Why we love facial rollers\n\nIt brings:\n\n- softer jaw muscles after a long day\n"
                 "- less puffiness in the morning\n- a warm even glow on dull skin\n")  # fmt: skip
    (x,) = _json(cli, project, "--kind", "benefits", "--platform", "x")
    assert "\nWhy we love facial rollers\nIt brings:\n\n- softer jaw muscles after a long day\n" in x["text"]
    # the card draws the two lines as two (wrapped as one they ran on: "rollers It brings:")
    assert "Rollers. Why we love facial rollers. It brings: softer jaw muscles" in x["alt"]
    from newsletter.social import cards, draw

    (card,) = [c for c in cards.cards_of("r", "Rollers", "", "Why we love facial rollers\nIt brings:",
                                          ("softer jaw",), "", "Via") if c.kind == "benefits"]  # fmt: skip
    assert [p.text for p in draw.paragraphs(card, "portrait")][:3] == ["Rollers", "Why we love facial rollers",
                                                                   "It brings:"]  # fmt: skip


def test_a_post_named_without_a_caption_of_the_kind_asked_says_why(project, cli):
    project.post("2026-10-14-plain.md", "---\ntitle: Plain\ndate: 2026-10-14\n---\n\nNo list here at all.\n")
    result = cli("--project", project.root, "social", "plain", "--kind", "benefits", "--platform", "x")
    assert result.exit_code == 0 and result.stdout.strip() == ""
    assert result.stderr == (
        "posts/2026-10-14-plain.md: warning: no benefits caption for x: a benefits caption needs a list of "
        "which at least three items (or all of a shorter list) fit the platform; write one in the post's "
        "social file (newsletter social --edit POST)\n"
    )
    assert cli("--project", project.root, "social", "plain", "--kind", "teaser").stderr == ""


def test_with_utm_replaces_every_utm_parameter_of_own_links_only():
    from newsletter.urls import with_utm

    site = "https://viaskincare.com"
    tags = {"utm_source": "x", "utm_medium": "social"}
    assert (
        with_utm(f"{site}/a?utm_source=old&q=1&UTM_TERM=t", site, tags)
        == f"{site}/a?q=1&utm_source=x&utm_medium=social"
    )
    assert with_utm(f"{site}/a?utm_source=old", site, {}) == f"{site}/a"
    assert with_utm(f"{site}/a?q=1", site, {}) == f"{site}/a?q=1"
    assert (
        with_utm("https://example.org/a?utm_source=old", site, tags) == "https://example.org/a?utm_source=old"
    )
