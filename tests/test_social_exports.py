"""What a build writes for social (captions.json, captions.md, cards), scheduler CSVs from
`newsletter social`, read back as the schedulers would, and threads as a follower reads them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.social import exports
from newsletter.social import text as T
from newsletter.social.counting import rules

WEEK = "2026-W42"
PLATFORMS = set(rules())
SLUGS = ("why-facial-muscles-need-movement", "facial-massage-and-tissue-regeneration")


@pytest.fixture(scope="module")
def _module_files(tmp_path_factory):
    """What the module builds once: {"sample": Project}, then a snapshot of its files to check at the end."""
    kept: dict = {}
    yield kept
    if "sample" in kept:
        assert _files(kept["sample"].root) == kept["files"], "a test changed the shared sample: copy it"


def _files(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def shared_sample(_module_files, tmp_path_factory, cli):
    """The sample project built once for the module (a build per test was most of this file's time),
    by the first test that asks, under conftest's fixtures (its clock, .eml checks and card memo), then
    shared read-only by the tests that only read what the build wrote; the others make their own."""
    if "sample" not in _module_files:
        from conftest import REPO, TEMPLATES, Project

        root = tmp_path_factory.mktemp("shared-sample")
        shutil.copytree(TEMPLATES, root / "templates")
        shutil.copytree(REPO / "posts", root / "posts")
        project = Project(root)
        project.settings()
        result = cli("--project", root, "build")
        assert result.exit_code == 0, result.output
        _module_files.update(sample=project, files=_files(root))
    return _module_files["sample"]


@pytest.fixture
def built(shared_sample):
    return shared_sample.build / WEEK


def _captions(folder) -> list[dict]:
    return json.loads((folder / "captions.json").read_text(encoding="utf-8"))


def test_build_writes_captions_json_md_and_cards_but_no_csv_or_txt(built, golden):
    names = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    assert not [n for n in names if n.endswith((".csv", ".txt")) and n != "email.txt"]
    cards = [n for n in names if n.startswith("cards/")]
    assert len(cards) == 2 * 3 * 3  # two articles x title, benefits, quote x three sizes
    golden("sample/captions.md", (built / "captions.md").read_bytes())


def test_captions_md_holds_every_caption_and_thread_post(built):
    page = (built / "captions.md").read_text(encoding="utf-8")
    for caption in _captions(built):
        for part in caption.get("parts") or [caption["text"]]:
            assert f"~~~~text\n{part}\n~~~~" in page
        assert caption["card"].split("/", 1)[1] in page


def test_every_caption_points_at_its_card_under_archive_url(built):
    files = {p.name for p in (built / "cards").iterdir()}
    for caption in _captions(built):
        name = caption["card"].rsplit("/", 1)[1]
        assert name in files
        assert caption["card"] == f"{WEEK}/cards/{name}"
        assert caption["image"] == f"https://viaskincare.com/newsletter/{caption['card']}"
        assert caption["alt"].startswith("Text card from Via Skincare: ")
        size = {"instagram": "1080x1350", "pinterest": "1000x1500"}.get(caption["platform"], "1200x630")
        kind = {"teaser": "title", "thread": "title"}.get(caption["kind"], caption["kind"])
        assert name == f"{caption['post']}-{kind}-{size}.png"


def test_archive_url_setting_moves_the_card_urls(sample, cli):
    sample.settings("archive_url = https://news.viaskincare.com/issues/\n")
    assert cli("--project", sample.root, "build").exit_code == 0
    for caption in _captions(sample.build / WEEK):
        assert caption["image"].startswith(f"https://news.viaskincare.com/issues/{WEEK}/cards/")


def test_bad_archive_url_is_a_settings_error(project, cli):
    project.settings("archive_url = newsletter\n")
    result = cli("--project", project.root, "build")
    assert result.exit_code == 1
    assert (
        "[newsletter] archive_url: expected an http(s) URL like {site_url}/newsletter, got 'newsletter'"
        in (result.stderr)
    )


def test_hashtags_field_lists_exactly_the_tags_in_the_text(built):
    for caption in _captions(built):
        assert tuple(caption["hashtags"]) == T.hashtags_in(caption["text"]), caption["text"]


def test_brand_tag_comes_first_wherever_tags_are_allowed(built):
    for caption in _captions(built):
        if caption["kind"] == "teaser" and rules()[caption["platform"]].max_hashtags:
            assert caption["hashtags"][0] == "#ViaSkincare", (caption["platform"], caption["hashtags"])


def test_benefits_keep_lead_in_and_descriptions_where_they_fit(built):
    by = {(c["post"], c["platform"]): c["text"] for c in _captions(built) if c["kind"] == "benefits"}
    full = "Post-Surgical Recovery: Promoting healing and reducing scar tissue formation."
    lead = ("Given its multifaceted effects, massage is increasingly being recognized as a valuable "
            "complementary therapy for tissue regeneration. It is particularly beneficial in:")  # fmt: skip
    heading = "Massage as a Complementary Therapy for Facial Tissue Regeneration:"
    for platform in ("linkedin", "instagram", "facebook"):  # room for the lead-in and the descriptions
        assert f"{lead}\n\n• {full}" in by[("facial-massage-and-tissue-regeneration", platform)], platform
    for platform in ("mastodon", "pinterest"):  # the list's heading says what it is in fewer words
        assert f"{heading}\n\n• {full}" in by[("facial-massage-and-tissue-regeneration", platform)], platform
    for platform in ("x", "bluesky", "threads"):  # the descriptions go to labels, under the heading; the
        # lead-in ("It is particularly beneficial in:") never stands without the sentence naming its subject
        text = by[("facial-massage-and-tissue-regeneration", platform)]
        assert "It is particularly" not in text
        assert f"{heading}\n\n" in text and "Post-Surgical Recovery\n" in text


def _rows(path, bom: bool):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _export(cli, sample, fmt: str, *extra: str):
    out = sample.root / f"out-{fmt}"
    result = cli("--project", sample.root, "social", "--format", fmt, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return out


ZONE = "America-Los_Angeles"  # the test settings' timezone, as the file names carry it


def test_buffer_export_has_header_bom_card_images_no_tags_and_slots_from_start(sample, cli):
    out = _export(cli, sample, "buffer", "--start", "2031-03-03")
    files = sorted(out.glob("captions-buffer-*.csv"))
    assert {f.name for f in files} == {f"captions-buffer-{p}.{ZONE}.csv" for p in PLATFORMS}
    for path in files:
        header, *rows = _rows(path, bom=True)
        assert header == ["Text", "Image URL", "Tags", "Posting Time"]
        assert 1 <= len(rows) <= 100
        for _text, image, tags, when in rows:
            assert image.startswith(f"https://viaskincare.com/newsletter/{WEEK}/cards/")
            assert dt.datetime.strptime(when, "%Y-%m-%d %H:%M") >= dt.datetime(2031, 3, 3)
            assert tags == ""  # Buffer tags are the account's labels: none unless buffer_tags names them
        assert len({r[3] for r in rows}) == len(rows)  # one slot per post on a channel


def test_buffer_pinterest_rows_carry_the_article_link_and_a_pin_sized_card(sample, cli):
    out = _export(cli, sample, "buffer", "--start", "2031-03-03", "--platform", "pinterest")
    _, *rows = _rows(out / f"captions-buffer-pinterest.{ZONE}.csv", bom=True)
    for text, image, _tags, _when in rows:
        assert re.search(r"\nhttps://viaskincare\.com/blog/[a-z-]+$", text), text
        assert len(text) <= 500 and image.endswith("-1000x1500.png")


def test_slots_are_never_in_the_past(sample, cli):
    out = _export(cli, sample, "hootsuite", "--start", "2020-01-06")
    now = dt.datetime(2026, 11, 22, 12, 0)  # the suite's clock (conftest.TEST_NOW), site time
    rows = [row for path in out.glob("*.csv") for row in _rows(path, bom=False)]
    slots = sorted(dt.datetime.strptime(row[0], "%m/%d/%Y %H:%M") for row in rows)
    assert slots[0] == dt.datetime(2026, 11, 23, 9, 0)  # the first slot after now, not the start date in 2020
    assert all(slot > now for slot in slots) and all(row[1] for row in rows)


@pytest.mark.slow  # forty posts, enough rows to pass Buffer's cap
def test_scheduler_files_split_at_their_row_caps(project, cli):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(40)]
    for day in days:
        project.post(
            f"{day}-post-{day}.md",
            f"---\ntitle: Post {day}\ndate: {day}\n---\n\nThe body of the post of {day}.\n\n- a\n- b\n",
        )
    for fmt, cap in (("buffer", 100), ("hootsuite", 350)):
        out = project.root / fmt
        result = cli("--project", project.root, "social", "--platform", "x", "--format", fmt, "--out", out)
        assert result.exit_code == 0, result.output
        pages = sorted(out.glob("*.csv"))
        sizes = [len(_rows(p, bom=fmt == "buffer")) - (fmt == "buffer") for p in pages]
        assert sum(sizes) == 40 * 3 and max(sizes) <= cap
        if fmt == "buffer":
            assert [p.name for p in pages] == [
                f"captions-buffer-x-1.{ZONE}.csv",
                f"captions-buffer-x-2.{ZONE}.csv",
            ]


def _thread(built, slug, platform) -> list[str]:
    (caption,) = [
        c for c in _captions(built) if (c["post"], c["platform"], c["kind"]) == (slug, platform, "thread")
    ]
    return caption["parts"]


@pytest.mark.parametrize("platform", ["x", "bluesky", "threads", "mastodon"])
def test_threads_are_numbered_fit_and_keep_article_order(built, shared_sample, platform):
    slug = "why-facial-muscles-need-movement"
    parts = _thread(built, slug, platform)
    rule = rules()[platform]
    article = " ".join((shared_sample.posts / f"2026-10-17-{slug}.md").read_text(encoding="utf-8").split())
    position = 0
    for index, part in enumerate(parts, 1):
        assert part.endswith(f"\n\n{index}/{len(parts)}")
        assert rule.fits(part)
        body = part.rsplit("\n\n", 1)[0]
        if index == 1:  # the hook: the title and the summary
            assert body.startswith("Why Facial Muscles Need Movement\n\nBeneath every healthy")
            continue
        for sentence in re.findall(r"[A-Z][^.!?:\n]*[.!?]", body):
            if "http" in sentence:
                continue
            found = article.find(sentence, position)
            assert found >= 0, f"out of order or altered: {sentence}"
            position = found
    assert "Read the whole article: https://viaskincare.com/blog/" in parts[-1]
    assert "Book a facial massage: https://viaskincare.com" in parts[-1]


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("platform", ["x", "bluesky", "threads", "mastodon"])
def test_no_sentence_twice_in_a_thread_and_every_section_heard(built, slug, platform):
    parts = _thread(built, slug, platform)
    said = [s for p in parts for line in p.split("\n") for s in T.sentences(line.lstrip("-• "))]
    keys = [T.key(s) for s in said if len(T.words_of(s)) > 1]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    text = "\n".join(parts)
    if slug == SLUGS[0]:  # every section has a post, including the one whose list follows a colon
        for heading in ("The anatomy of expression", "Movement is oxygen", "A reminder for anyone"):
            assert heading in text
        # the list comes with what introduces it: its lead-in where the posts have room, else its heading
        lead = "When done regularly, this kind of touch creates long-term benefits:\n- Softer lines"
        heading = "The science of stillness and flow\n\n- Softer lines"
        bullet = rules()[platform].bullet
        assert (heading if platform in ("x", "bluesky") else lead).replace("- ", f"{bullet} ") in text


def test_a_one_post_thread_has_no_label_and_a_list_stays_a_list(project, cli):
    project.post("2026-10-14-short.md",
                 "---\ntitle: Short\ndate: 2026-10-14\n---\n\nMassage helps.\n\nIt brings:\n\n- calm\n- glow\n")  # fmt: skip
    result = cli(
        "--project", project.root, "social", "--platform", "mastodon", "--kind", "thread", "--format", "json"
    )
    (caption,) = json.loads(result.stdout)
    assert len(caption["parts"]) == 1
    assert not re.search(r"\d+/\d+", caption["text"])
    assert "It brings:\n• calm\n• glow" in caption["text"]


def test_a_sentence_longer_than_a_post_is_cut_at_a_word_never_in_a_url_nor_continued(project, cli):
    url = "https://viaskincare.com/a/very/long/path/that/must/stay/whole?with=query&and=more"
    long = "Massage " + "really " * 40 + f"works, see {url} and " + "truly " * 30 + "works."
    project.post("2026-10-14-long.md",
                 f"---\ntitle: Long\ndate: 2026-10-14\n---\n\nShort opener here.\n\n## Part\n\n{long}\n\n## End\n\nA calm closing line.\n")  # fmt: skip
    result = cli(
        "--project", project.root, "social", "--platform", "x", "--kind", "thread", "--format", "json"
    )
    (caption,) = json.loads(result.stdout)
    bodies = [p.rsplit("\n\n", 1)[0] for p in caption["parts"]]
    joined = " ".join(bodies)
    assert "Short opener here." in joined and "A calm closing line." in joined
    (part,) = [b for b in bodies if b.startswith("Part\n\nMassage really")]  # the post opens the sentence
    assert part.endswith("…") and "truly" not in joined  # cut at a word, the rest not continued
    assert url in part or "https://" not in part  # the URL whole or not at all
    assert all(rules()["x"].fits(p) for p in caption["parts"])


_SCALARS = st.one_of(st.text(), st.integers(), st.none(), st.booleans(), st.floats())
_VALUES = st.recursive(st.one_of(_SCALARS, st.lists(_SCALARS)), lambda inner: st.lists(inner), max_leaves=6)
_RECORDS = st.dictionaries(st.one_of(st.text(), st.integers()), _VALUES)


@given(_RECORDS)
def test_a_caption_record_is_laid_out_as_json_dumps_indents_it(record):
    expected = "  " + json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    assert exports._indented(record) == expected
