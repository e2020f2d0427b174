"""Golden captions for the studio articles, scheduler CSVs read back, threads numbered and ordered."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from conftest import GOLDEN

from newsletter.social.counting import rules

WEEK = "2026-W42"
PLATFORMS = set(rules())


@pytest.fixture
def built(sample, cli):
    assert cli("--project", sample.root, "build").exit_code == 0
    return sample.build / WEEK


def test_every_caption_of_both_articles_matches_golden(built, golden, request):
    files = sorted(p.relative_to(built).as_posix() for p in (built / "social").rglob("*.txt"))
    for name in files:
        golden(f"sample/{name}", (built / name).read_bytes())
    if not request.config.getoption("--update-golden"):
        expected = sorted(
            p.relative_to(GOLDEN / "sample").as_posix() for p in (GOLDEN / "sample/social").rglob("*.txt")
        )
        assert files == expected
    slugs = {"why-facial-muscles-need-movement", "facial-massage-and-tissue-regeneration"}
    kinds = {"teaser", "benefits", "quote"}
    for slug in slugs:
        for platform in PLATFORMS:
            for kind in kinds:
                assert f"social/{slug}/{platform}-{kind}.txt" in files
        for platform in ("x", "bluesky", "threads", "mastodon"):
            assert f"social/{slug}/{platform}-thread.txt" in files


def test_benefits_carry_every_item_where_the_limit_allows(built):
    items = {
        "facial-massage-and-tissue-regeneration": [
            "Post-Surgical Recovery: Promoting healing and reducing scar tissue formation.",
            "Chronic Skin Conditions: Improving symptoms like rosacea, eczema, or psoriasis",
            "Anti-Aging Treatments: Stimulating fibroblast activity to maintain youthful, resilient skin.",
        ],
    }
    for slug, wanted in items.items():
        for platform in PLATFORMS:
            text = (built / f"social/{slug}/{platform}-benefits.txt").read_text(encoding="utf-8")
            for item in wanted:
                if rules()[platform].limit >= 500:
                    assert item in text, (platform, item)
                else:  # X and Bluesky: the three long items condense to their labels
                    assert item.split(":")[0] in text, (platform, item)


def _rows(path, bom: bool):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_buffer_csv_has_header_columns_times_and_bom(built):
    files = sorted(built.glob("captions-buffer-*.csv"))
    assert {f.name for f in files} == {f"captions-buffer-{p}.csv" for p in PLATFORMS}
    for path in files:
        header, *rows = _rows(path, bom=True)
        assert header == ["Text", "Image URL", "Tags", "Posting Time"]
        assert 1 <= len(rows) <= 100
        for text, _image, tags, when in rows:
            assert text
            assert dt.datetime.strptime(when, "%Y-%m-%d %H:%M") > dt.datetime(2026, 10, 14)
            assert "#" not in tags
        assert len({r[3] for r in rows}) == len(rows)  # one slot per post on a channel


def test_hootsuite_csv_has_no_header_and_three_columns(built):
    for path in sorted(built.glob("captions-hootsuite-*.csv")):
        rows = _rows(path, bom=False)
        assert 1 <= len(rows) <= 350
        for when, message, link in rows:
            dt.datetime.strptime(when, "%Y-%m-%d %H:%M")
            assert message and link.startswith("https://viaskincare.com/blog/")


def test_scheduler_files_split_at_their_row_caps(project, cli):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(40)]
    for day in days:
        project.post(
            f"{day}-post-{day}.md", f"---\ntitle: Post {day}\ndate: {day}\n---\n\nBody {day}.\n\n- a\n- b\n"
        )
    for fmt, cap in (("buffer", 100), ("hootsuite", 350)):
        out = project.root / fmt
        result = cli("--project", project.root, "social", "--platform", "x", "--format", fmt, "--out", out)
        assert result.exit_code == 0, result.output
        pages = sorted(out.glob("*.csv"))
        sizes = [len(_rows(p, bom=fmt == "buffer")) - (fmt == "buffer") for p in pages]
        assert sum(sizes) == 40 * 3 and max(sizes) <= cap
        if fmt == "buffer":
            assert [p.name for p in pages] == ["captions-buffer-x-1.csv", "captions-buffer-x-2.csv"]


def _thread(built, slug, platform):
    return (
        (built / f"social/{slug}/{platform}-thread.txt")
        .read_text(encoding="utf-8")
        .rstrip("\n")
        .split("\n\n\n\n")
    )


@pytest.mark.parametrize("platform", ["x", "bluesky", "threads", "mastodon"])
def test_threads_are_numbered_fit_and_keep_article_order(built, sample, platform):
    slug = "why-facial-muscles-need-movement"
    parts = _thread(built, slug, platform)
    rule = rules()[platform]
    article = " ".join((sample.posts / f"2026-10-17-{slug}.md").read_text(encoding="utf-8").split())
    position = 0
    for index, part in enumerate(parts, 1):
        assert part.endswith(f"\n\n{index}/{len(parts)}")
        assert rule.fits(part)
        body = part.rsplit("\n\n", 1)[0]
        if index == 1:  # the opening is the title and the summary, not article sentences
            assert body.startswith("Why Facial Muscles Need Movement\n\nBeneath every healthy")
            continue
        for sentence in re.findall(r"[A-Z][^.!?]*[.!?]", body.replace("\n", " ")):
            if "…" in sentence or "http" in sentence:
                continue
            found = article.find(sentence, position)
            assert found >= 0, f"out of order or altered: {sentence}"
            position = found


def test_a_sentence_is_cut_only_when_it_alone_is_too_long(project, cli):
    long = "Massage " + "really " * 70 + "works."
    project.post("2026-10-14-long.md",
                 f"---\ntitle: Long\ndate: 2026-10-14\n---\n\nShort opener here.\n\n## Part\n\n{long}\n\n## End\n\nA calm closing line.\n")  # fmt: skip
    result = cli(
        "--project", project.root, "social", "--platform", "x", "--kind", "thread", "--format", "json"
    )
    import json

    (caption,) = json.loads(result.stdout)
    joined = "\n".join(caption["parts"])
    assert "Short opener here." in joined and "A calm closing line." in joined
    assert "Massage really" in joined and "works." not in joined and "…" in joined
    assert all(rules()["x"].fits(p) for p in caption["parts"])
