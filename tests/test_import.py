"""`newsletter import`: copied text, article pages of three site builders, RSS and Atom feeds, served
from a loopback HTTP server the test starts; bad inputs; the fetcher's limits; --update, --dry-run and
--download-images. Through the CLI, against the hand-written fixtures in tests/fixtures/import/."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from conftest import REPO

# Projects here use the packaged templates (templates/ empty, as `newsletter init` leaves it): no test
# here edits a template it did not write, and copies would be compiled again (see tests/conftest.py).


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
SEED_MUSCLES = FIXTURES / "seed-why-facial-muscles-need-movement.txt"
SEED_MASSAGE = FIXTURES / "seed-facial-massage-and-tissue-regeneration.txt"
BOILERPLATE = ("cookie", "Share", "Recent Posts", "Related", "Comments", "comment", "views", "Log In",
               "min read", "Previous post", "Gua sha", "Proudly", "Accept")  # fmt: skip


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (the timeout test) is not the server's error


class Site:
    """A loopback web server serving fixtures by path; `http://HOST` in them becomes its address."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes, float]] = {}
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                status, headers, body, delay = site.routes.get(self.path, (404, {}, b"not found", 0))
                time.sleep(delay)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        # polled every 50 ms, not 0.5 s: shutdown() at the end of each test waits for the next poll
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def serve(self, path: str, body: bytes | str | Path, kind: str = "text/html; charset=utf-8",
              status: int = 200, headers: dict[str, str] | None = None, delay: float = 0) -> str:  # fmt: skip
        data = body.read_bytes() if isinstance(body, Path) else body
        data = data.encode("utf-8") if isinstance(data, str) else data
        data = data.replace(b"http://HOST", self.base.encode())
        self.routes[path] = (status, {"Content-Type": kind, **(headers or {})}, data, delay)
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    server = Site()
    yield server
    server.close()


def run(cli, project, *args):
    return cli("--project", project.root, "import", *args)


def post(project, name: str) -> tuple[dict, str]:
    text = (project.posts / name).read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def headings(body: str) -> list[str]:
    return re.findall(r"(?m)^#{2,6} (.+)$", body)


def items(body: str) -> list[str]:
    return [norm(i) for i in re.findall(r"(?m)^(?:- |\d+\. )(.+)$", body)]


def norm(text: str) -> str:
    """Emphasis, trailing colons and white space do not count when comparing with the samples."""
    text = re.sub(r"[*_]", "", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(":").strip()


def paragraphs(body: str) -> list[str]:
    return [
        norm(b) for b in body.split("\n\n") if b.strip() and not b.lstrip().startswith(("#", "- ", "1. "))
    ]


# --- copied text: the two seeds against the project's sample posts -------------------------------------


def test_the_seed_texts_import_as_the_sample_posts(project, cli):
    first = run(cli, project, SEED_MUSCLES)
    second = run(
        cli,
        project,
        SEED_MASSAGE,
        "--title",
        "Facial Massage and Tissue Regeneration",
        "--date",
        "2026-10-14",
    )
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    assert first.stdout == (
        "Created posts/2026-10-17-why-facial-muscles-need-movement.md (draft) from "
        f"{SEED_MUSCLES} (copied text); guessed: date 2026-10-17 from 'Oct 17' (no year given: the "
        "latest such date not in the future), 5 headings from numbered lines; look at: removed '.png)', "
        "'Comments'\n"
    )
    assert second.stdout == (
        "Created posts/2026-10-14-facial-massage-and-tissue-regeneration.md (draft) from "
        f"{SEED_MASSAGE} (copied text); guessed: 8 headings from Title-Case lines\n"
    )
    for name in (
        "2026-10-17-why-facial-muscles-need-movement.md",
        "2026-10-14-facial-massage-and-tissue-regeneration.md",
    ):
        meta, body = post(project, name)
        sample_meta, sample_body = post(type("P", (), {"posts": REPO / "posts"}), name)
        for key in ("title", "date", "author"):
            assert meta.get(key) == sample_meta.get(key), key
        assert [re.sub(r"^\d+\. ", "", h) for h in headings(body)] == [
            re.sub(r"^\d+\. ", "", h) for h in headings(sample_body)
        ]
        assert items(body) == items(sample_body)
        missing = [p for p in paragraphs(sample_body) if p not in paragraphs(body)]
        assert not missing
        assert meta["draft"] is True and meta["source"] == str(
            FIXTURES
            / name.replace("2026-10-17-", "seed-").replace("2026-10-14-", "seed-").replace(".md", ".txt")
        )
    meta, body = post(project, "2026-10-14-facial-massage-and-tissue-regeneration.md")
    assert body.rstrip().endswith("training opportunities: [viaskincare.com](https://viaskincare.com)")


@pytest.mark.slow
def test_the_imported_seeds_build_and_check_reports_nothing_new(sample, cli):
    before = json.loads(cli("--project", sample.root, "check", "--all", "--format", "json").stdout)
    for made in sample.posts.iterdir():
        made.unlink()
    run(cli, sample, SEED_MUSCLES, "--published")
    run(
        cli,
        sample,
        SEED_MASSAGE,
        "--published",
        "--title",
        "Facial Massage and Tissue Regeneration",
        "--date",
        "2026-10-14",
    )
    found = json.loads(cli("--project", sample.root, "check", "--all", "--format", "json").stdout)
    assert [(f["rule"], f["file"]) for f in found["findings"]] == [
        (f["rule"], f["file"]) for f in before["findings"]
    ]
    built = cli("--project", sample.root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    assert (sample.build / "2026-W42" / "email.html").is_file()


def test_a_year_missing_from_a_date_is_the_latest_such_date_not_in_the_future(project, cli, monkeypatch):
    monkeypatch.setenv("NEWSLETTER_NOW", "2026-10-16T09:00")
    result = run(cli, project, SEED_MUSCLES, "--dry-run")
    assert "Would create posts/2025-10-17-why-facial-muscles-need-movement.md" in result.stdout
    assert "guessed: date 2025-10-17 from 'Oct 17' (no year given" in result.stdout


def test_copied_text_without_a_title_takes_the_first_heading_and_says_so(project, cli, tmp_path):
    source = tmp_path / "copied.txt"
    source.write_text(SEED_MASSAGE.read_text(encoding="utf-8"), encoding="utf-8")
    result = run(cli, project, source, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        "Would create posts/2026-11-22-the-role-of-microcirculation-in-tissue-regeneration.md (draft) from "
        f"{source} (copied text); guessed: 8 headings from Title-Case lines, title from the first heading "
        "(the source has none; set it with --title), date 2026-11-22, today (the source has none; set it "
        "with --date)"
    )
    bare = tmp_path / "bare.txt"
    bare.write_text("just some words, nothing more.\nand another line of them.\n", encoding="utf-8")
    result = run(cli, project, bare)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{bare}: no title found (no title line, metadata or heading): give one with --title\n"
        "Nothing imported; 1 could not be imported.\n"
    )


@pytest.mark.slow
def test_copied_text_lines_join_only_mid_sentence_and_lists_and_links_are_made(project, cli, tmp_path):
    source = tmp_path / "c.txt"
    source.write_text(
        "Morning Routine for Dry Skin\nBy Jo Park\nMarch 3, 2026\n4 min read\n"
        "Start with water, which is often\nenough in the morning.\nThen a serum.\n"
        "Three Steps That Matter\n1. Rinse\n2. Serum\n3. Cream\n"
        "* one\n* two with *stars* and _underscores_ and [brackets]\n"
        "Book at viaskincare.com or https://example.org/book.\nShare this post\n12 views\n"
        "Recent Posts\nSomething Else\n- 2 min read\n",
        encoding="utf-8",
    )
    result = run(cli, project, source)
    assert result.exit_code == 0, result.stderr
    meta, body = post(project, "2026-03-03-morning-routine-for-dry-skin.md")
    assert (meta["author"], meta["date"].isoformat()) == ("Jo Park", "2026-03-03")
    assert body == (
        "\nStart with water, which is often enough in the morning.\n\nThen a serum.\n\n"
        "## Three Steps That Matter\n\n1. Rinse\n2. Serum\n3. Cream\n\n"
        "- one\n- two with \\*stars\\* and \\_underscores\\_ and \\[brackets\\]\n\n"
        "Book at [viaskincare.com](https://viaskincare.com) or <https://example.org/book>.\n"
    )
    assert (
        "look at: removed 'Share this post', '12 views', 'Recent Posts' and 2 lines after it" in result.stdout
    )


# --- article pages: Wix-like, WordPress-like, plain; served from loopback ------------------------------


def test_a_wix_page_becomes_a_post_with_its_metadata(project, cli, site):
    url = site.serve("/post/winter-skin-five-habits-that-help", FIXTURES / "wix-post.html")
    result = run(cli, project, url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"Created posts/2026-11-03-winter-skin-five-habits-that-help.md (draft) from {url} (page)\n"
    )
    meta, body = post(project, "2026-11-03-winter-skin-five-habits-that-help.md")
    assert meta == {
        "title": "Winter Skin: Five Habits That Help",
        "date": __import__("datetime").date(2026, 11, 3),
        "author": "Katerina Summers",
        "summary": "Cold air outside and dry heat inside pull water out of the skin. Five small habits keep it comfortable until spring.",
        "image": "https://static.wixstatic.com/media/9a1c2e_winter~mv2.jpg/v1/fill/w_1200,h_630/winter.jpg",
        "image_alt": "A jar of balm on a frosted windowsill",
        "image_width": 1200,
        "image_height": 630,
        "tags": ["winter skin", "hydration", "skin barrier"],
        "draft": True,
        "source": url,
    }
    assert headings(body) == ["1. Wash with less", "2. Put water back, then seal it", "3. Humidify the bedroom",
                              "4. Keep massaging", "5. Do not forget sunscreen"]  # fmt: skip
    assert items(body) == ["glycerin or hyaluronic acid serum first,", "a moisturiser with ceramides second,",
                           "a thin layer of balm on the driest areas last."]  # fmt: skip
    assert "\n> “Skin that is warm and moving" in body
    assert (
        "![A balm being warmed between two fingertips](https://static.wixstatic.com/media/9a1c2e_balm~mv2.jpg/v1/fill/w_740,h_493/balm.jpg){width=740 height=493}"
        in body
    )
    assert "[dermatologists' sun guide](https://www.aad.org/public/everyday-care/sun-protection)" in body
    assert not [word for word in BOILERPLATE if word in body]
    assert body.startswith("\nEvery winter the same complaints")  # no title, byline or reading time


@pytest.mark.slow
def test_a_wordpress_page_keeps_its_ordered_list_table_and_quote(project, cli, site):
    url = site.serve("/2026/09/02/what-a-jade-roller-can-and-cannot-do/", FIXTURES / "wordpress-post.html")
    assert run(cli, project, url).exit_code == 0
    meta, body = post(project, "2026-09-02-what-a-jade-roller-can-and-cannot-do.md")
    assert (meta["title"], meta["author"], meta["tags"]) == (
        "What a Jade Roller Can and Cannot Do",
        "Mara Lind",
        ["tools", "lymphatic drainage"],
    )
    assert (meta["image_alt"], meta["image_width"], meta["image_height"]) == (
        "A green jade roller on a linen towel",
        1200,
        800,
    )
    assert headings(body) == ["What it cannot do", "What it can do", "Stone, steel or nothing"]
    assert "\n1. it reduces puffiness under the eyes and along the jaw,\n2. it spreads" in body
    assert (
        "| Tool | Stays cool | Best for |\n| --- | --- | --- |\n| Jade | About 5 minutes | Gentle morning drainage |"
        in body
    )
    assert "> The best tool is the one you actually pick up every morning." in body
    assert "*does this actually do anything?*" in body and "**permanent**" in body
    assert not [word for word in BOILERPLATE if word in body]


@pytest.mark.slow
def test_a_plain_page_is_sanitised_and_its_links_made_absolute(project, cli, site):
    url = site.serve("/2026/08/reading-an-ingredient-list.html", FIXTURES / "plain-post.html")
    result = run(cli, project, url)
    assert result.stdout == (
        "Created posts/2026-08-20-reading-an-ingredient-list.md (draft) from "
        f"{url} (page); guessed: title from the page's <h1>\n"
    )
    meta, body = post(project, "2026-08-20-reading-an-ingredient-list.md")
    assert (meta["title"], meta["author"], meta["date"].isoformat()) == (
        "Reading an Ingredient List",
        "Jo Park",
        "2026-08-20",
    )
    assert "image" not in meta
    assert f"]({site.base}/2026/08/images/label.png){{width=480 height=320}}" in body
    assert "- **Water first.** Most creams" in body and "`parfum`" in body
    assert (
        "and ask your therapist to [look at the label with you](https://www.viaskincare.com/contact)" in body
    )
    for unsafe in ("javascript", "alert", "onerror", "<script", "trackRead"):
        assert unsafe not in body
    assert not [word for word in BOILERPLATE if word in body]


@pytest.mark.slow
def test_text_that_looks_like_markup_stays_text(project, cli, tmp_path):
    page = tmp_path / "markup.html"
    words = "An article about writing email by hand, long enough to count as one for the extractor. " * 3
    page.write_text(
        "<html><head><title>Tags in Email</title></head><body><article><h1>Tags in Email</h1>"
        f"<p>{words}</p><p>Write &lt;b&gt;bold&lt;/b&gt; as [this](that) or 5*3_x, never &lt;script&gt;.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    assert run(cli, project, page).exit_code == 0
    _, body = post(project, "2026-11-22-tags-in-email.md")
    assert "Write &lt;b>bold&lt;/b> as \\[this\\](that) or 5\\*3\\_x, never &lt;script>." in body
    only_title = tmp_path / "title.txt"
    only_title.write_text("Just a Title\n- 2 min read\n12 views\n", encoding="utf-8")
    result = run(cli, project, only_title)
    assert (
        result.stderr.splitlines()[0]
        == f"{only_title}: holds no article text (only a title, byline or page debris)"
    )


# --- feeds -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_rss_feed_makes_a_post_per_entry_fetching_pages_only_on_its_host(project, cli, site):
    url = site.serve("/feed.rss", FIXTURES / "feed.rss", "application/rss+xml")
    page = site.serve("/2026/08/reading-an-ingredient-list.html", FIXTURES / "plain-post.html")
    result = run(cli, project, url)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Created posts/2026-09-07-cleansing-oils-explained.md (draft) from "
        "https://notes.viaskincare.com/2026/09/cleansing-oils-explained/ (feed entry)",
        f"Created posts/2026-08-20-reading-an-ingredient-list.md (draft) from {page} (feed entry)",
    ]
    assert result.stderr.splitlines() == [
        "https://elsewhere.example.org/skin-in-the-mountains: the feed has no content for this entry and its "
        "page could not be used: it is on elsewhere.example.org, not on the feed's host 127.0.0.1",
        "Imported 2 posts; 1 could not be imported.",
    ]
    assert site.requests == ["/feed.rss", "/2026/08/reading-an-ingredient-list.html"]
    meta, body = post(project, "2026-09-07-cleansing-oils-explained.md")
    assert meta["tags"] == ["cleansing", "oils"] and meta["author"] == "Jo Park"
    assert (meta["image"], meta["image_alt"]) == (
        "https://notes.viaskincare.com/images/cleansing-oil.jpg",
        "A pump bottle of cleansing oil beside a folded cloth",
    )
    assert (
        headings(body) == ["How to use one"]
        and items(body)[0] == "Massage the oil onto dry skin for a full minute."
    )
    assert "Share" not in body and "Facebook" not in body
    meta, _ = post(project, "2026-08-20-reading-an-ingredient-list.md")
    assert meta["summary"].startswith(
        "Ingredient lists are written in a fixed order. Once you know it"
    )  # the feed's
    assert meta["tags"] == ["ingredients"]


@pytest.mark.slow
def test_an_atom_feed_with_html_and_xhtml_content(project, cli, site):
    url = site.serve("/feed.atom", FIXTURES / "feed.atom", "application/atom+xml")
    result = run(cli, project, url)
    assert result.exit_code == 0
    meta, body = post(
        project, "2026-10-29-sleep-skin-what-happens-overnight.md"
    )  # 06:30 UTC is the 29th in LA
    assert (meta["title"], meta["author"], meta["tags"]) == (
        "Sleep & Skin: What Happens Overnight",
        "Katerina Summers",
        ["sleep", "skin barrier"],
    )
    assert meta["source"] == "https://www.viaskincare.com/journal/sleep-and-skin"
    assert "\n- Apply your richest cream in the evening.\n" in body and "> Eight hours of sleep" in body
    assert (
        "![A linen pillowcase, freshly changed](https://www.viaskincare.com/media/pillow.jpg){width=600 height=400}"
        in body
    )
    meta, body = post(project, "2026-10-21-hands-before-tools.md")
    assert "author" not in meta and headings(body) == ["Start here"] and "*slowly*" in body


@pytest.mark.slow
def test_imported_pages_and_feeds_build_and_check_reports_nothing_for_them(project, cli, site):
    sources = [site.serve("/wix", FIXTURES / "wix-post.html"), site.serve("/wp", FIXTURES / "wordpress-post.html"),
               site.serve("/feed.atom", FIXTURES / "feed.atom", "application/atom+xml"),
               FIXTURES / "feed.rss"]  # fmt: skip
    result = run(cli, project, "--published", *sources)
    assert len(result.stdout.splitlines()) == 5, result.stderr
    found = json.loads(cli("--project", project.root, "check", "--all", "--format", "json").stdout)
    # The only findings are about issues, not posts: summaries the sites wrote, longer than a preheader.
    assert {f["rule"] for f in found["findings"]} <= {"preheader-length"}
    assert not [f for f in found["findings"] if f["file"].startswith("posts/")]
    built = cli("--project", project.root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    assert "Built 5 issues (2026-W36 … 2026-W45, 5 posts)" in built.stdout


# --- bad inputs --------------------------------------------------------------------------------------------


def test_bad_inputs_are_named_and_nothing_imported_exits_1(project, cli, tmp_path):
    empty, binary, latin = tmp_path / "empty.txt", FIXTURES / "label.png", tmp_path / "latin.txt"
    empty.write_bytes(b"")
    latin.write_bytes("Crème Brûlée for the Skin\nIt is a treat.\n".encode("latin-1"))
    folder = tmp_path / "folder"
    folder.mkdir()
    result = run(cli, project, empty, binary, FIXTURES / "no-article.html", FIXTURES / "empty-feed.rss", latin,
                 tmp_path / "missing.html", folder, "ftp://example.org/post")  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{empty}: is empty: nothing to import",
        f"{binary}: is a PNG image, not a web page, a feed or text",
        f"{FIXTURES / 'no-article.html'}: no article found: the page has 9 words of text outside its "
        "navigation, menus and footer (a list of posts or a home page?); import the article's own page",
        f"{FIXTURES / 'empty-feed.rss'}: the feed has no entries: nothing to import",
        f"{latin}:1: is not UTF-8: byte 0xe8 at offset 2; save it as UTF-8",
        f"{tmp_path / 'missing.html'}: cannot be read: No such file or directory",
        f"{folder}: is not a regular file (a folder, pipe or device)",
        "ftp://example.org/post: only http and https URLs are fetched, not 'ftp:'",
        "Nothing imported; 8 could not be imported.",
    ]
    assert list(project.posts.iterdir()) == []


@pytest.mark.slow
def test_a_page_in_another_encoding_is_read_by_its_charset(project, cli, site, tmp_path):
    html = (
        (FIXTURES / "plain-post.html")
        .read_text(encoding="utf-8")
        .replace("The front of a jar", "Crème: the front of a jar")
    )
    declared = html.replace('<meta charset="utf-8">', '<meta charset="windows-1252">').encode("cp1252")
    by_header = site.serve(
        "/header",
        html.replace('<meta charset="utf-8">', "").encode("iso-8859-1", "replace"),
        "text/html; charset=iso-8859-1",
    )
    undeclared = tmp_path / "undeclared.html"
    undeclared.write_bytes(html.replace('<meta charset="utf-8">', "").encode("latin-1", "replace"))
    saved = tmp_path / "declared.html"
    saved.write_bytes(declared)
    result = run(cli, project, saved, "--dry-run")
    assert result.exit_code == 0 and "Crème: the front of a jar" in result.stdout
    result = run(cli, project, by_header, "--dry-run")
    assert result.exit_code == 0 and "Crème: the front of a jar" in result.stdout
    result = run(cli, project, undeclared)
    data = undeclared.read_bytes()
    offset = next(i for i, byte in enumerate(data) if byte >= 0x80)
    line = data[:offset].count(b"\n") + 1
    assert result.stderr.splitlines()[0] == (
        f"{undeclared}:{line}: declares no charset and is not UTF-8: byte "
        f'0x{data[offset]:02x} at offset {offset}; add <meta charset="..."> naming its encoding, or save it as UTF-8'
    )


# --- the fetcher's limits ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fetching_follows_http_redirects_within_limits_only(project, cli, site, monkeypatch):
    from newsletter.importer import fetch

    site.serve("/moved", b"", status=301, headers={"Location": "/2026/wix"})
    site.serve("/2026/wix", FIXTURES / "wix-post.html")
    site.serve("/to-file", b"", status=302, headers={"Location": "file:///etc/passwd"})
    for n in range(7):
        site.serve(f"/loop{n}", b"", status=302, headers={"Location": f"/loop{n + 1}"})
    site.serve("/gone", b"nope", status=410)
    site.serve("/big", FIXTURES / "wordpress-post.html")
    site.serve("/slow", FIXTURES / "wix-post.html", delay=0.6)
    monkeypatch.setattr(fetch, "MAX_BYTES", 10_000)
    monkeypatch.setattr(fetch, "TIMEOUT", 0.3)
    result = run(
        cli, project, *(site.base + p for p in ("/moved", "/to-file", "/loop0", "/gone", "/big", "/slow"))
    )
    assert result.stdout.startswith(
        f"Created posts/2026-11-03-winter-skin-five-habits-that-help.md (draft) from {site.base}/moved (page)"
    )
    b = site.base
    assert result.stderr.splitlines() == [
        f"{b}/to-file: redirected to file:///etc/passwd, which is not followed: only http and https URLs are fetched, not 'file:'",
        f"{b}/loop0: more than 5 redirects",
        f"{b}/gone: the server answered HTTP 410 Gone",
        f"{b}/big: is 13,995 bytes; the limit is 10,000",
        f"{b}/slow: no complete answer within 0.3 s",
        "Imported 1 post; 5 could not be imported.",
    ]


# --- never overwrite; --update; --dry-run; --download-images ----------------------------------------------


def test_a_post_is_never_overwritten_and_update_rewrites_the_one_from_the_same_source(project, cli, site):
    url = site.serve("/wix", FIXTURES / "wix-post.html")
    assert run(cli, project, url).exit_code == 0
    path = project.posts / "2026-11-03-winter-skin-five-habits-that-help.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("draft: true", "draft: false") + "\nMy edit.\n",
        encoding="utf-8",
    )
    again = run(cli, project, url)
    assert again.exit_code == 1
    assert (
        again.stderr.splitlines()[0]
        == f"{url}: already imported as posts/2026-11-03-winter-skin-five-habits-that-help.md; use --update to rewrite it"
    )
    updated = run(cli, project, url, "--update")
    assert updated.stdout.startswith(
        "Updated posts/2026-11-03-winter-skin-five-habits-that-help.md (published) from"
    )
    assert "My edit." not in path.read_text(encoding="utf-8") and "draft: false" in path.read_text(
        encoding="utf-8"
    )
    other = site.serve("/copy-of-wix", FIXTURES / "wix-post.html")
    clash = run(cli, project, other, "--update")
    assert clash.stderr.splitlines()[0] == (
        f"{other}: posts/2026-11-03-winter-skin-five-habits-that-help.md already exists and was not imported "
        "from this source; rename one of them or import with --title"
    )


def test_dry_run_shows_the_markdown_and_writes_nothing(project, cli):
    result = run(cli, project, SEED_MUSCLES, "--dry-run")
    assert result.exit_code == 0
    lines = result.stdout.split("\n")
    assert lines[0].startswith("Would create posts/2026-10-17-why-facial-muscles-need-movement.md (draft)")
    assert lines[1:5] == [
        "---",
        'title: "Why Facial Muscles Need Movement"',
        "date: 2026-10-17",
        'author: "Katerina Summers"',
    ]
    assert "## 1. The anatomy of expression" in result.stdout
    assert result.stderr == "Would import 1 post.\n"
    assert list(project.posts.iterdir()) == []


@pytest.mark.slow
def test_download_images_saves_them_beside_the_post(project, cli, site):
    url = site.serve(
        "/2026/08/ingredients.html",
        (FIXTURES / "plain-post.html")
        .read_text(encoding="utf-8")
        .replace(
            "</article>", '<p><img src="/not-a-picture.png" alt="Not a picture" width="10"></p></article>'
        ),
    )
    site.serve("/2026/08/images/label.png", FIXTURES / "label.png", "image/png")
    site.serve("/not-a-picture.png", b"<html>an error page</html>", "image/png")
    result = run(cli, project, url, "--download-images")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Created posts/2026-08-20-reading-an-ingredient-list.md (draft) from {url} (page); 1 image saved in "
        "posts/2026-08-20-reading-an-ingredient-list/; guessed: title from the page's <h1>; look at: image "
        f"{site.base}/not-a-picture.png stays remote: it is not a PNG, JPEG, GIF or WebP picture\n"
    )
    saved = project.posts / "2026-08-20-reading-an-ingredient-list" / "label.png"
    assert saved.read_bytes() == (FIXTURES / "label.png").read_bytes()
    _, body = post(project, "2026-08-20-reading-an-ingredient-list.md")
    assert "](2026-08-20-reading-an-ingredient-list/label.png){width=480 height=320}" in body
    assert f"]({site.base}/not-a-picture.png)" in body


def test_title_and_date_name_one_source(project, cli):
    result = run(cli, project, SEED_MUSCLES, SEED_MASSAGE, "--title", "X")
    assert result.exit_code == 2
    assert "--title and --date name one post: give one SOURCE with them" in result.stderr
    assert run(cli, project, SEED_MUSCLES, "--date", "17/10/2026").exit_code == 2
    assert run(cli, project).exit_code == 2
