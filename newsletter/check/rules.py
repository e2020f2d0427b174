"""The rules every plan applies (build, check, preview alike): each has an id, a severity and a fix."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newsletter.content.issue import SUBJECT_LIMIT, Issue
from newsletter.content.settings import Settings
from newsletter.errors import ERROR, WARNING, Problem, Problems, Severity
from newsletter.project.new import PLACEHOLDERS

WARN_BYTES = 90 * 1024
CLIP_BYTES = 102 * 1024
STYLE_BYTES = 16 * 1024
PREHEADER_LIMIT = 100


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    checks: str
    fix: str


RULES = {r.id: r for r in [
    Rule("settings", ERROR, "setup.cfg [newsletter] keys and values", "correct the key named in the message"),
    # Brand (content/brand.py): a warning for build, check and preview, an error for `send`.
    Rule("address", WARNING, "the footer's postal address is set and not a placeholder ('to be confirmed', "
         "'example'); `send` refuses to send without one", "set address in setup.cfg to the sender's postal address"),
    Rule("accent-contrast", WARNING, "each accent colour reaches WCAG AA on its background in light and dark "
         "mode (4.5:1 for text, 3:1 for the quote bar), else the email uses the nearest shade that does",
         "choose a darker accent_color (a lighter accent_color_dark), or keep the shade the warning names"),
    Rule("logo", WARNING, "the logo has a known width, is not shown wider than its pixels, and a dark logo on "
         "transparency has a logo_dark for dark mode", "set logo_width, give a picture at least that wide, or "
         "set logo_dark to a light version"),
    Rule("posts-dir", ERROR, "the posts folder exists", "create it or point posts_dir at it"),
    Rule("no-posts", ERROR, "the selection has published posts", "write a post or choose another --week"),
    Rule("front-matter", ERROR, "front matter is present, valid YAML, with well-typed keys", "edit the key on that line"),
    Rule("encoding", ERROR, "posts are UTF-8 text", "save the file as UTF-8"),
    Rule("body-empty", ERROR, "a post has a body", "write the article below the front matter"),
    Rule("slug-duplicate", ERROR, "slugs are unique, ignoring case", "set a different slug on one post"),
    Rule("cta-empty", ERROR, "a call to action has text and an http(s) URL", "fill in cta.text and cta.url"),
    Rule("unknown-key", WARNING, "front matter keys are known", "fix the spelling or remove the key"),
    Rule("symlink", WARNING, "project files are not links to outside the project", "copy the file into the project"),
    Rule("sanitized", WARNING, "no script, handler, frame or unsafe URL in an article", "remove the HTML"),
    # Mail headers: the text is made safe (literal, invisible characters removed); the warning says so.
    Rule("header-unsafe", WARNING, "titles and summaries hold no '=?' encoded-word syntax, bidi controls or "
         "zero-width characters", "retype the text without them"),
    Rule("alt-missing", WARNING, "every image has alt text", "describe the image: ![what it shows](src)"),
    Rule("img-width", WARNING, "every email image has a known width (Outlook for Windows sizes by it)",
         "add {width=N} after the image, image_width for the hero, width=\"...\" in a template"),
    Rule("image", ERROR, "local images are pictures in the project (beside the post or from its root)",
         "add the file, fix the path, or export the picture again as PNG or JPEG"),
    Rule("link-relative", WARNING, "links and images are absolute", "write the full https:// URL"),
    Rule("link-insecure", WARNING, "links use https", "change http:// to https://"),
    Rule("link-unknown-post", WARNING, "links into the blog end at a known post", "fix the slug in the link"),
    Rule("unfinished", ERROR, "no TK, TODO, FIXME or lorem ipsum left", "finish the sentence"),
    Rule("placeholder", ERROR, "no published post of the issue and no issue file still holds the text `newsletter "
         "new` wrote (in a draft or another week's post: a warning)", "write the article, or the intro"),
    Rule("summary-empty", WARNING, "a summary given in front matter is not empty",
         "write one or two sentences, or remove the line to use the first paragraph"),
    Rule("issue-name", ERROR, "issue files are named YYYY-Www.md with a capital W (one for another week: a "
         "warning)", "rename the file as the message says (git mv keeps its history)"),
    Rule("issue-file", ERROR, "issues/YYYY-Www.md is valid and names only posts of its week (one for another "
         "week: a warning)", "fix the key on that line"),
    Rule("subject-length", WARNING, f"the subject fits in {SUBJECT_LIMIT} characters", "shorten the first title"),
    Rule("preheader-length", WARNING, f"the preheader fits in {PREHEADER_LIMIT} characters", "shorten the summaries, or set preheader: in the issue file"),
    Rule("size-warn", WARNING, "the email is under 90 KB after inlining", "move an article to another week"),
    Rule("size-clip", ERROR, "the email is under 102 KB (Gmail clips above)", "move an article to another week"),
    Rule("style-size", WARNING, "each <style> the email keeps (the @media rules, rules that cannot be inlined, a "
         "print sheet) is under 16 KB (Gmail drops it)", "trim the CSS of that <style> in the templates"),
    Rule("css-unsupported", WARNING, "email templates avoid var(), @import, <link>, position, flex and grid",
         "use plain properties and tables"),
    Rule("card-glyph", WARNING, "every character of a post's image cards is in a card font",
         "add a font that has it to card_fonts in setup.cfg, or retype the text"),
    Rule("caption-limit", ERROR, "every caption fits its platform after cutting", "shorten the summary or override"),
    # A post's social file (content/socialfile.py): the captions the social manager edited.
    Rule("social-file", ERROR, "a post's social file (posts/STEM.social.yaml) is valid YAML naming known platforms "
         "and kinds, each caption fits its platform, and the file is named after a post",
         "edit the caption or key on that line (a post without a social file: newsletter social --edit POST writes one)"),
    # Caption lints (social/lint.py), on the captions as posted: made from the article or edited.
    Rule("caption-mid-sentence", WARNING, "every post of a thread starts at the start of a sentence, a heading "
         "or a list item", "edit the post in the social file, or the sentence in the article"),
    Rule("caption-dangling", WARNING, "a sentence that opens by pointing back (this, it, these…) comes after what "
         "it points at", "add the sentence it points at, or reword its opening"),
    Rule("caption-title", WARNING, "the title fits whole in each platform's teaser, thread opening and pin "
         "title, and before the teaser's \"see more\"",
         "shorten the title, or write the caption in the social file"),
    Rule("caption-list", WARNING, "a list comes with its heading or the sentence that introduces it (a list of "
         "things to avoid, with words that say so)", "put the list's heading or lead-in above it"),
    Rule("caption-utm", WARNING, "the site's own links carry no one else's utm_source (the platform's own, "
         "where it has tracking) and no tracking twice", "write the platform's own utm_source in the link, "
         "or none"),
    Rule("caption-none", WARNING, "a post named to `newsletter social` has a caption of the kinds and "
         "platforms asked", "write the caption in the post's social file (newsletter social --edit POST)"),
    Rule("template", ERROR, "templates parse and use only defined variables", "fix the template line"),
]}  # fmt: skip

# The order `build` and `preview` show warnings in when there are too many to show all: what a reader
# of the issue would notice first; the rest follow in RULES order.
WORST_FIRST = ("size-warn", "address", "placeholder", "subject-length", "summary-empty", "link-unknown-post",
               "style-size", "caption-limit", "alt-missing", "preheader-length")  # fmt: skip
# Upper case only: "tk" or "todo" inside ordinary prose is not a placeholder.
_UNFINISHED = re.compile(r"\b(?:TK|TODO|FIXME|XXX)\b|(?i:lorem ipsum)")
_BAD_CSS = [
    (re.compile(r"var\(\s*--"), "CSS custom property var(): premailer cannot parse it"),
    (re.compile(r"@import\b"), "@import: fetched over the network, dropped by clients"),
    (re.compile(r"<link\b", re.I), "<link> stylesheet: clients drop it"),
    (re.compile(r"(?<![\w-])position\s*:"), "position: most clients ignore it"),
    (re.compile(r"display\s*:\s*(?:inline-)?(?:flex|grid)"), "display:flex/grid: Outlook and Gmail apps ignore it"),
]  # fmt: skip


def settings_findings(settings: Settings, sending: bool, problems: Problems) -> None:
    """The brand's notes (content/brand.py), once per run: the postal address is a warning until a
    message goes to people, where a placeholder is an error."""
    for note in settings.brand.notes:
        if note.rule == "address" and sending:
            problems.error(note.where, note.line, note.message, note.rule)
        else:
            problems.extend([note])


def worst_first(problems, limit: int | None = None) -> list[Problem]:
    """Warnings ordered by what matters most to a reader, then by place; with `limit`, only the first
    `limit` of them (a partial sort: thousands of warnings of an archive, three shown)."""
    order = {rule: n for n, rule in enumerate((*WORST_FIRST, *RULES))}

    def rank(p: Problem) -> tuple:
        return (order.get(rule_of(p), len(order)), p.where, p.line)

    if limit is not None:
        return heapq.nsmallest(limit, problems, key=rank)
    return sorted(problems, key=rank)


def rule_of(problem: Problem) -> str:
    return problem.rule or ("settings" if problem.where == "setup.cfg" else "front-matter")


def wire_size(html: str) -> int:
    """What Gmail measures: the HTML as sent, UTF-8 with CRLF line ends."""
    return len(html.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))


def email_size(issue: Issue, html: str, problems: Problems) -> int:
    """The email's size as Gmail measures it, with a finding when it is near or over the clip."""
    size = wire_size(html)
    where = f"{issue.week}/email.html"
    if size > WARN_BYTES:
        costs = ", ".join(f"{source} {_kb(cost)}" for source, cost in article_costs(issue, html)[:5])
        message = (
            f"email is {_kb(size)} after inlining; Gmail clips above {_kb(CLIP_BYTES)}. "
            f"Largest articles: {costs}. Move an article to next week or shorten it"
        )
        rule = "size-clip" if size > CLIP_BYTES else "size-warn"
        (problems.error if size > CLIP_BYTES else problems.warn)(where, 0, message, rule)
    for style in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S):
        if (bytes_ := len(style.encode("utf-8"))) > STYLE_BYTES:
            problems.warn(where, 0, f"a <style> is {_kb(bytes_)}; Gmail drops it above 16 KB", "style-size")
    return size


def article_costs(issue: Issue, html: str) -> list[tuple[str, int]]:
    """Bytes each article adds to the inlined email, largest first (its cell, styles included)."""
    cells = html.split('<td class="footer"')[0].split('<td class="article"')[1:]
    costs = [(post.source, wire_size(cell)) for post, cell in zip(issue.posts, cells, strict=False)]
    return sorted(costs, key=lambda c: (-c[1], c[0]))


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def rule_markdown() -> str:
    """The README's rule table, generated here so it cannot drift from the code."""
    rows = ["| rule | severity | checks | fix |", "|---|---|---|---|"]
    rows += [f"| `{r.id}` | {r.severity} | {r.checks} | {r.fix} |" for r in RULES.values()]
    return "\n".join(rows) + "\n"


def known_paths(urls) -> frozenset[str]:
    """The URL paths of the site's posts, made once per run (per post, it was O(posts²) in a build)."""
    return frozenset(urlsplit(u).path.rstrip("/") for u in urls)


def post_rules(
    post,
    settings: Settings,
    known: frozenset[str],
    problems: Problems,
    links: dict | None = None,
    going_out: bool = True,
) -> None:
    """What a post's text must not hold when it goes out: placeholders; links that go nowhere.
    `known` is the `known_paths` of every post's URL; `links` hears of each link into the blog and
    whether it ends at a known post (the manifest keeps them: see cache.Manifest.fresh). `going_out`:
    the post is in an issue being built, checked or sent (not a post of another week `check` looks at)."""
    _unfinished(post, problems)
    _placeholder(post, problems, error=going_out and not post.draft)
    _links(post, settings, known, problems, {} if links is None else links)
    _insecure_hero(post, settings, problems)
    _image_widths(post, settings, problems)


def _insecure_hero(post, settings: Settings, problems: Problems) -> None:
    """The hero, like a body image: an http:// picture is blocked or flagged by mail clients."""
    if urlsplit(post.image).scheme == "http":
        line = _front_matter_line(settings, post, "image")
        problems.warn(post.source, line, f"insecure hero image '{post.image}'", "link-insecure")


def _image_widths(post, settings: Settings, problems: Problems) -> None:
    """An image of unknown width is shown at its own size, but Outlook for Windows stretches or
    shrinks it to the 536 px column: say where a width would fix that."""
    why = "Outlook for Windows shows it 536 px wide whatever its size"
    local = {ref for ref, _ in post.images}  # sized from the file itself (email.images)
    for element in post.tree.iter("img"):
        if element.get("src", "") not in local and not str(element.get("width", "")).isdigit():
            src = element.get("src", "")
            problems.warn(post.source, _line_of(post, src), f"image '{src}' has no width: {why}; "
                          "add {width=N} after it", "img-width")  # fmt: skip
    if post.image and not post.image_width and post.image not in local:
        problems.warn(post.source, _front_matter_line(settings, post, "image"),
                      f"hero image has no image_width: {why}", "img-width")  # fmt: skip


def _front_matter_line(settings: Settings, post, key: str) -> int:
    from newsletter.content import reader

    raw = reader.read_file(settings.root / post.source, post.source, Problems()) or b""
    text = raw.decode("utf-8", errors="replace")
    return next((n for n, line in enumerate(text.split("\n"), 1) if line.startswith(f"{key}:")), 1)


def _line_of(post, needle: str) -> int:
    for number, line in enumerate(post.body.split("\n")):
        if needle in line:
            return post.body_line + number
    return post.body_line


def _placeholder(post, problems: Problems, error: bool) -> None:
    """An error in a published post of the issue (subscribers would read it); a draft may keep it."""
    report = problems.error if error else problems.warn
    for number, line in enumerate(post.body.split("\n")):
        if line.strip() in PLACEHOLDERS:
            report(post.source, post.body_line + number,
                   f"placeholder text from `newsletter new`: '{line.strip()}'; write the article", "placeholder")  # fmt: skip


def _unfinished(post, problems: Problems) -> None:
    for field in ("title", "summary"):
        if match := _UNFINISHED.search(getattr(post, field)):
            problems.error(post.source, 1, f"unfinished {field}: '{match.group(0)}'", "unfinished")
    for number, line in enumerate(post.body.split("\n")):
        if match := _UNFINISHED.search(line):
            problems.error(
                post.source, post.body_line + number, f"unfinished text: '{match.group(0)}'", "unfinished"
            )


def _links(post, settings: Settings, known_paths: frozenset[str], problems: Problems, seen: dict) -> None:
    from newsletter.urls import is_merge_tag, split

    prefix = urlsplit(settings.url_for("SLUG")).path.split("SLUG")[0]
    for element in post.tree.iter():
        url = (
            element.get("href")
            if element.tag == "a"
            else element.get("src")
            if element.tag == "img"
            else None
        )
        if not url or is_merge_tag(url) or url.startswith(("mailto:", "#")):
            continue
        if element.tag == "img" and any(url == ref for ref, _ in post.images):
            continue  # a file of the project (email.images), not a link
        if (parts := split(url)) is None:  # unparseable: the sanitiser's warning already names it
            continue
        line = _line_of(post, url)
        if not parts.scheme:
            problems.warn(
                post.source, line, f"relative link '{url}' (made absolute against site_url)", "link-relative"
            )
        elif parts.scheme == "http":
            problems.warn(post.source, line, f"insecure link '{url}'", "link-insecure")
        own = not parts.netloc or parts.netloc.lower() == settings.domain.lower()
        path = parts.path.rstrip("/")
        in_blog = prefix != "/" and path.startswith(prefix.rstrip("/") + "/")
        if own and element.tag == "a" and in_blog:
            seen[path] = path in known_paths
        if own and element.tag == "a" and in_blog and path not in known_paths:
            problems.warn(
                post.source, line, f"link '{url}' does not end at a known post", "link-unknown-post"
            )


def issue_rules(issue: Issue, html: str, problems: Problems) -> None:
    where = f"issue {issue.week}"
    if len(issue.subject) > SUBJECT_LIMIT:
        file = issue.file if issue.file is not None and issue.file.subject else None
        chosen = file is not None
        place, line = (file.source, file.subject_line) if file is not None else (where, 0)
        fix = "shorten it" if chosen else "set a shorter one in the issue file (newsletter new --issue)"
        problems.warn(place, line, f"subject is {len(issue.subject)} characters, over {SUBJECT_LIMIT}: "
                      f"'{issue.subject}'; {fix}", "subject-length")  # fmt: skip
    if issue.file is not None and issue.intro.strip() in PLACEHOLDERS:
        problems.error(issue.file.source, issue.file.intro_line,
                      "placeholder text from `newsletter new --issue`: write the intro or delete it", "placeholder")  # fmt: skip
    if len(issue.preheader) > PREHEADER_LIMIT:
        problems.warn(where, 0, f"preheader is {len(issue.preheader)} characters; inboxes show about 100: "
                      f"{_preheader_fix(issue)}", "preheader-length")  # fmt: skip
    for tag in unsized_images(html):
        problems.warn(where, 0, f"image without a width attribute: {tag[:80]}", "img-width")


def unsized_images(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<img\b[^>]*>", html) if not re.search(r"\swidth=\"\d+\"", tag)]


def clear_when_inlined(bound) -> bool:
    """An email whose inlined size, <style> and images email/bound.py bounds (`bound.Bound`) gets none
    of the findings the inlined email is measured for: size-warn, size-clip, style-size, img-width."""
    return bound.size <= WARN_BYTES and bound.style <= STYLE_BYTES and bound.images_sized


def _preheader_fix(issue: Issue) -> str:
    """Where the preheader comes from decides the fix: the issue file's `preheader:`, else the summaries."""
    file = issue.file
    if file is not None and file.preheader:
        return f"shorten 'preheader:' in {file.source}"
    where = file.source if file is not None else f"the issue file (newsletter new --issue {issue.week})"
    return f"shorten the summaries, or set 'preheader:' in {where}"


def template_css(settings: Settings, problems: Problems) -> None:
    """CSS that major clients ignore, in the project's own email templates, read as the loader reads
    them; the run's one look at templates_dir, so it also names the links there that are not followed."""
    from newsletter.content import reader

    reader.template_link_warnings(settings, problems)
    for name in ("email.html", "email.css"):
        found = Problems()
        text = reader.template_text(settings, name, found)
        # An unreadable email.html was reported by its render already; email.css is only included, so
        # its render error names the include: say it for the file itself too.
        problems.extend(p for p in found.items if p not in problems.items)
        if text is None:
            continue
        path: Path = settings.templates_dir / name
        for number, line in enumerate(text.split("\n"), 1):
            if line.lstrip().startswith(("/*", "{#")):
                continue
            for pattern, why in _BAD_CSS:
                if pattern.search(line):
                    problems.warn(settings.relative(path), number, why, "css-unsupported")
