"""Site settings: the [newsletter] section of setup.cfg, found, read and validated in one place."""

from __future__ import annotations

import configparser
import ipaddress
import os
import re
import stat
import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.content import brand as branding
from newsletter.content import reader, scheduling
from newsletter.content.scheduling import Scheduling, Slot  # noqa: F401  (Slot: where importers found it)
from newsletter.email import headers
from newsletter.errors import InputError, NewsletterError, Problem, Problems, closest
from newsletter.urls import is_absolute_http, is_merge_tag

SECTION = "newsletter"
PLATFORMS = (
    "x",
    "bluesky",
    "threads",
    "mastodon",
    "linkedin",
    "instagram",
    "facebook",
    "pinterest",
)
_RENAMED = {"twitter": "x", "ig": "instagram", "fb": "facebook", "bsky": "bluesky", "insta": "instagram"}


def platform_hint(name: str) -> str:
    """What an unknown platform name may have meant: "; did you mean 'x'?" for 'twitter', or ''."""
    close = closest(name.lower(), [*PLATFORMS, *_RENAMED])
    hint = _RENAMED.get(name.lower()) or _RENAMED.get(close, close)
    return f"; did you mean '{hint}'?" if hint else ""


DEFAULTS: dict[str, str] = {
    "name": "",
    "site_url": "",
    "from": "",
    "reply_to": "",
    "address": "",
    "unsubscribe_url": "",
    "language": "en",
    "timezone": "UTC",
    "accent_color": "#1a73e8",
    "utm_campaign": "newsletter-{week}",
    "hashtags": "",
    "post_url": "{site_url}/{slug}/",
    "archive_url": "{site_url}/newsletter",  # where web copies and image cards are published
    "mastodon_max_characters": "500",
    **scheduling.defaults(PLATFORMS),  # schedule, schedule_<platform>, schedule_offsets, buffer_tags, ...
    "smtp_host": "localhost",
    "smtp_port": "587",
    "smtp_user": "",
    "smtp_starttls": "true",
    "posts_dir": "posts",
    "templates_dir": "templates",
    "build_dir": "build",
    "layout": "full",
    "card_fonts": "",  # font files tried after the shipped ones on image cards, one per line
    "cards_window": "8",  # the newest issues that get every card; older ones only their og:image card
    **{f"handle_{p}": "" for p in PLATFORMS},
    **branding.DEFAULTS,
}
PACKAGED_TEMPLATES = (
    reader.PACKAGED_TEMPLATES
)  # where they are is the reader's to know; kept here for importers
LAYOUTS = ("full", "digest")  # digest: title, image, summary and a "Read more" button per article
# `address` is not here: an empty or placeholder address only stops `send` (see content.brand).
REQUIRED = ("name", "site_url", "from", "unsubscribe_url")
# Values that reach a mail header, a URL or a single line of text.
SINGLE_LINE = (
    "name", "site_url", "from", "reply_to", "unsubscribe_url", "language", "timezone",
    "utm_campaign", "post_url", "smtp_host", "smtp_user",
)  # fmt: skip
# `address` may take several lines (setup.cfg continuation lines), each one checked like these.
# The only fields each format-string setting may name (str.format would also reach attributes).
FORMAT_FIELDS = {"utm_campaign": ("week",), "post_url": ("site_url", "slug")}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")
_X_HANDLE = re.compile(r"@?[A-Za-z0-9_]{1,15}")  # what X allows (twitter:site names it)


@dataclass(frozen=True)
class Settings:
    root: Path
    name: str
    site_url: str
    sender: str
    reply_to: str
    address: str
    unsubscribe_url: str
    language: str
    timezone: str
    accent_color: str
    utm_campaign: str
    hashtags: tuple[str, ...]
    post_url: str
    mastodon_max_characters: int
    scheduling: Scheduling  # posting slots, Buffer tags, Hootsuite's date format
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_starttls: bool
    posts_dir: Path
    templates_dir: Path
    build_dir: Path
    handles: dict[str, str] = field(default_factory=dict)
    layout: str = "full"
    archive_url: str = ""  # absolute, {site_url} filled in: cards live at {archive_url}/YYYY-Www/cards/
    card_fonts: tuple[Path, ...] = ()  # absolute; see social/fonts.py
    cards_window: int = 8  # issues (the newest by week) that get every card; 0: every issue ("all")
    brand: branding.Brand = field(default_factory=branding.default)  # logo, palette, social links

    @property
    def address_lines(self) -> tuple[str, ...]:
        """The postal address as the footer shows it: one line per line of setup.cfg."""
        return tuple(self.address.split("\n")) if self.address else ()

    @property
    def issues_dir(self) -> Path:
        """issues/: the editor's issue files (a fixed name, not a setting)."""
        return self.root / "issues"

    @property
    def domain(self) -> str:
        """The site's host as typed (lower case; an IPv6 address in brackets), for people to read."""
        host = urlsplit(self.site_url).hostname or ""
        return f"[{host}]" if ":" in host else host

    @property
    def mail_domain(self) -> str:
        """The host as mail needs it (Message-ID, EHLO): IDNA for non-ASCII names, [IPv6:...] literals."""
        host = urlsplit(self.site_url).hostname or "localhost"
        if ":" in host:
            return f"[IPv6:{host}]"
        return host.encode("idna").decode("ascii")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def url_for(self, slug: str) -> str:
        return self.post_url.format(site_url=self.site_url.rstrip("/"), slug=slug)

    def campaign(self, week: str) -> str:
        return self.utm_campaign.format(week=week)

    def relative(self, path: Path) -> str:
        """A path as the user sees it in messages: relative to the project root."""
        text, root = str(path), str(self.root)
        if text.startswith(root + "/"):  # the usual case, without pathlib's parsing (a stat-free no-op
            return text[len(root) + 1 :]  # build asks this for every post)
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def find_root(start: Path) -> Path:
    """The nearest folder up from `start` whose setup.cfg has a [newsletter] section."""
    for folder in (start, *start.parents):
        cfg = folder / "setup.cfg"
        if os.path.lexists(cfg) and _has_section(cfg):
            return folder
    raise NewsletterError(
        f"{start}: no setup.cfg with a [newsletter] section here or in any parent folder; "
        "run inside a project or pass --project DIR."
    )


def _has_section(cfg: Path) -> bool:
    """Searched as bytes, so a setup.cfg that is not UTF-8 is still found (and its loading names the
    byte). One that cannot be searched because it is not a regular file or is over the cap is taken:
    loading it then says what is wrong, where "no setup.cfg here" would be false."""
    try:
        info = os.stat(cfg)
    except OSError:  # a dangling link
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size > reader.MAX_SETTINGS_BYTES:
        return True
    raw = reader.read_file(cfg, "setup.cfg", Problems(), reader.SETTINGS)
    return raw is not None and re.search(rb"(?m)^\[newsletter\]\s*$", raw) is not None


def load_settings(root: Path) -> Settings:
    text = _read(root)
    # `key = value   ; note` keeps only the value, as in the README's examples (a ';' needs a space before it).
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    try:
        parser.read_string(text, source="setup.cfg")
    except configparser.Error as exc:
        raise InputError(_parse_problems(exc, text)) from None
    if not parser.has_section(SECTION):
        raise NewsletterError("setup.cfg: no [newsletter] section; add one with at least name and site_url.")
    lines = _key_lines(text)
    raw = dict(parser.items(SECTION))
    problems = Problems()
    _check_keys(raw, lines, problems)
    values = {**DEFAULTS, **raw}
    brand = branding.parse(root, values, lines, text, problems)
    settings = _build(root, values, lines, problems)
    problems.raise_if_errors()
    assert settings is not None
    return replace(settings, brand=brand)


def _read(root: Path) -> str:
    """setup.cfg's text, read like every project file (see content.reader): a regular file of at most
    MAX_SETTINGS_BYTES, UTF-8 (a BOM is dropped: Windows editors write one), not a link out of the
    project."""
    problems = Problems()
    cfg = root / "setup.cfg"
    if why := reader.leads_out(cfg, root):
        problems.error("setup.cfg", 0, f"{reader.LINK_MESSAGES[why]}; the project's settings must be a "
                       "file in the project folder: copy it in place of the link")  # fmt: skip
        raise InputError(problems.items)
    raw = reader.read_file(cfg, "setup.cfg", problems, reader.SETTINGS)
    text = reader.decode_text(raw, "setup.cfg", problems) if raw is not None else None
    if text is None:
        raise InputError([replace(p, rule="settings") for p in problems.items])
    return text


def _parse_problems(exc: configparser.Error, text: str) -> list[Problem]:
    """configparser's errors as `setup.cfg:LINE:` problems (its own wording names the absolute path
    and no fix)."""

    def problem(line: int, message: str) -> Problem:
        return Problem("setup.cfg", line, message, rule="settings")

    if isinstance(exc, configparser.DuplicateOptionError):
        first = _key_lines(text, exc.section).get(exc.option, 0)
        return [problem(exc.lineno or 0, f"[{exc.section}] duplicate key '{exc.option}' (first on line {first}); "
                        "keep one")]  # fmt: skip
    if isinstance(exc, configparser.DuplicateSectionError):
        first = _key_lines(text, exc.section).get("[section]", 0)
        return [problem(exc.lineno or 0, f"duplicate section [{exc.section}] (first on line {first}); "
                        "merge the two")]  # fmt: skip
    lines = text.split("\n")
    if isinstance(exc, configparser.MissingSectionHeaderError):
        got = lines[exc.lineno - 1].strip()
        return [problem(exc.lineno, f"expected a [section] line before any setting, got '{got}'")]
    if isinstance(exc, configparser.ParsingError):
        return [
            problem(number, f"expected 'key = value', got '{lines[number - 1].strip()}'")
            for number, _ in exc.errors
        ]
    return [problem(0, str(exc))]


def _key_lines(text: str, section: str = SECTION) -> dict[str, int]:
    """configparser keeps no line numbers; find each key's line inside the section (split at LF only,
    as configparser reads lines)."""
    lines: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("["):
            inside = line.strip() == f"[{section}]"
            if inside:
                lines.setdefault("[section]", number)
        elif inside and (match := re.match(r"([^\s=:#;][^=:]*?)\s*[=:]", line)):
            lines.setdefault(match.group(1).lower(), number)
    return lines


def _check_keys(raw: dict[str, str], lines: dict[str, int], problems: Problems) -> None:
    for key in raw:
        if key not in DEFAULTS:
            hint = closest(key, DEFAULTS)
            fix = f"did you mean '{hint}'?" if hint else "remove it or check the spelling"
            problems.error(
                "setup.cfg", lines.get(key, 0), f"[newsletter] unknown key '{key}': {fix}", "settings"
            )
    for key in REQUIRED:
        if not raw.get(key, "").strip():
            problems.error(
                "setup.cfg",
                lines.get(key, lines.get("[section]", 0)),
                f"[newsletter] '{key}' is required",
            )


def _build(root: Path, v: dict[str, str], lines: dict[str, int], problems: Problems) -> Settings | None:
    def bad(key: str, message: str) -> None:
        problems.error(
            "setup.cfg", lines.get(key, lines.get("[section]", 0)), f"[newsletter] {key}: {message}"
        )

    broken = set()  # keys holding a line break or control character: reported once, checked no further
    for key in SINGLE_LINE:
        if bad_char := headers.control(v[key].strip()):
            bad(key, f"must be a single line without control characters, got U+{ord(bad_char):04X}")
            broken.add(key)
    for line in v["address"].split("\n"):
        if bad_char := headers.control(line.strip()):
            bad("address", f"each line must be free of control characters, got U+{ord(bad_char):04X}")
            broken.add("address")
            break
    if (x := v["handle_x"].strip()) and not _X_HANDLE.fullmatch(x):
        bad("handle_x", f"expected an X handle, 1 to 15 letters, digits or _ (an @ first is fine), got '{x}'")
    site_url = v["site_url"] if "site_url" not in broken else ""
    if site_url and (problem := _site_url_problem(site_url) or _mail_domain_problem(site_url)):
        bad("site_url", problem)
    for key in ("from", "reply_to"):
        if v[key].strip() and key not in broken:
            try:
                headers.parse_mailbox(v[key])
            except headers.AddressError as exc:
                example = "'Name <address@example.com>'" if key == "from" else "one address"
                bad(key, f"expected {example}, got '{v[key].strip()}': {exc}")
    unsub = v["unsubscribe_url"].strip()
    if unsub and "unsubscribe_url" not in broken and (problem := _unsubscribe_problem(unsub)):
        bad("unsubscribe_url", problem)
    try:
        ZoneInfo(v["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        bad(
            "timezone",
            f"unknown timezone '{v['timezone']}'; use an IANA name such as Europe/London",
        )
    else:
        if _host_zone(v["timezone"].strip()):  # zoneinfo finds these files, but they are no place's zone
            bad("timezone", f"'{v['timezone'].strip()}' is a file of this machine's time zone database, "
                "not an IANA zone name; use one such as Europe/London")  # fmt: skip
    if not _COLOR.fullmatch(v["accent_color"]):  # the palette made of it: content.brand
        bad("accent_color", f"expected a hex colour like #8a6f5a, got '{v['accent_color']}'")
    if v["layout"].strip() not in LAYOUTS:
        bad("layout", f"expected one of {' | '.join(LAYOUTS)}, got '{v['layout']}'")
    ints = {k: _int(v[k], k, bad) for k in ("smtp_port", "mastodon_max_characters")}
    for key, fields in FORMAT_FIELDS.items():
        if key not in broken and (problem := _format_problem(v[key].strip(), fields)):
            bad(key, problem)
    if "{slug}" not in v["post_url"]:
        bad("post_url", f"must contain {{slug}}, got '{v['post_url']}'")
    for key in ("post_url", "archive_url"):
        if re.search(r"\s", v[key].strip()):
            bad(key, f"must be a URL without spaces, got '{v[key].strip()}'")
        elif _has_credentials(v[key].strip().replace("{site_url}", "https://host")):
            bad(key, CREDENTIALS)
    schedule = scheduling.parse(v, PLATFORMS, bad)
    archive_url = _archive_url(v, bad)
    card_fonts = _card_fonts(root, v["card_fonts"], bad)
    cards_window = _cards_window(v["cards_window"], bad)
    dirs = _dirs(root, v, lines, bad, problems)
    _check_dirs(root, dirs, bad)
    if problems.has_errors():
        return None
    return Settings(
        root=root,
        name=v["name"].strip(),
        site_url=v["site_url"].rstrip("/"),
        sender=v["from"].strip(),
        reply_to=v["reply_to"].strip(),
        address="\n".join(line.strip() for line in v["address"].split("\n") if line.strip()),
        unsubscribe_url=unsub,
        language=v["language"].strip(),
        timezone=v["timezone"].strip(),
        accent_color=v["accent_color"],
        utm_campaign=v["utm_campaign"].strip(),
        hashtags=tuple(t for t in re.split(r"[\s,#]+", v["hashtags"]) if t),
        post_url=v["post_url"].strip(),
        mastodon_max_characters=ints["mastodon_max_characters"] or 500,
        scheduling=schedule,
        smtp_host=v["smtp_host"].strip(),
        smtp_port=ints["smtp_port"] or 587,
        smtp_user=v["smtp_user"].strip(),
        smtp_starttls=v["smtp_starttls"].strip().lower() in ("1", "true", "yes", "on"),
        posts_dir=dirs["posts_dir"],
        templates_dir=dirs["templates_dir"],
        build_dir=dirs["build_dir"],
        handles={p: v[f"handle_{p}"].strip() for p in PLATFORMS if v[f"handle_{p}"].strip()},
        layout=v["layout"].strip(),
        archive_url=archive_url,
        card_fonts=card_fonts,
        cards_window=cards_window,
    )


def _host_zone(name: str) -> bool:
    """localtime is whatever the machine is set to (exports would change with the machine that makes
    them); posixrules, posix/ and right/ (leap seconds) are copies the database keeps for C programs."""
    return name in ("localtime", "posixrules") or name.startswith(("posix/", "right/"))


CREDENTIALS = (
    "must not hold a user name or password (the part before '@'): every link in the email and the web "
    "copy would carry it; remove it"
)


def _has_credentials(url: str) -> bool:
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return False


def _site_url_problem(url: str) -> str:
    if _has_credentials(url):  # said before anything that would echo the URL, password and all
        return CREDENTIALS
    expected = f"expected an absolute http(s) URL like https://example.com, got '{url}'"
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on a bad port number
    except ValueError as exc:
        return f"{expected} ({exc})"
    if not is_absolute_http(url) or not host:
        return expected
    if headers.control(url) or " " in url:
        return f"{expected} (it contains a space or control character)"
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"{expected} ('{host}' is not an IPv6 address)"
        return ""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{expected} ('{host}' is not a valid host name)"
    if not all(
        re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", label) for label in ascii_host.split(".")
    ):
        return f"{expected} ('{host}' is not a valid host name)"
    return ""


# The Message-ID is '<2026-w42.' + 16 hex digits + '@' + the site's host + '>', after 'Message-ID: ' on
# one line (mime._headers; a msg-id is never folded inside): the host may take what is left of 78.
MAX_MAIL_DOMAIN = headers.MAX_LINE - len("Message-ID: <2026-w42.0123456789abcdef@>")
# The List-Unsubscribe value is one token, ' <' + url + '>' on a folded line.
MAX_UNSUBSCRIBE = headers.MAX_LINE - 3


def _mail_domain_problem(url: str) -> str:
    """The host as mail writes it (IDNA, [IPv6:...]) must fit the Message-ID header line."""
    host = urlsplit(url).hostname or ""
    domain = f"[IPv6:{host}]" if ":" in host else host.encode("idna").decode("ascii")
    if len(domain) <= MAX_MAIL_DOMAIN:
        return ""
    return (
        f"the host is {len(domain)} characters as mail writes it; at most {MAX_MAIL_DOMAIN} fit the "
        "Message-ID header line: use a shorter host name"
    )


def _unsubscribe_problem(url: str) -> str:
    expected = f"expected an ESP merge tag like *|UNSUB|* or an http(s) URL, got '{url}'"
    what = "merge tag" if is_merge_tag(url) else "URL"
    if len(url) > MAX_UNSUBSCRIBE:
        return (
            f"the {what} is {len(url)} characters; at most {MAX_UNSUBSCRIBE} fit the List-Unsubscribe "
            "header line"
        )
    if is_merge_tag(url):
        return ""
    if _has_credentials(url):
        return CREDENTIALS
    if not is_absolute_http(url) or _site_url_problem(url):
        return expected
    if "=?" in url:
        return f"{expected}: it contains '=?' (MIME encoded-word syntax); percent-encode it as %3D%3F"
    if re.search(r"[^!-~]|[<>\"\\^`{|}]", url):
        return f'{expected}: percent-encode spaces, non-ASCII and <>"{{|}}^` in it'
    return ""


def _format_problem(template: str, fields: tuple[str, ...]) -> str:
    """A str.format template that names only `fields`: no index, attribute, conversion or spec."""
    allowed = ", ".join("{" + f + "}" for f in fields)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"is not a valid template ({exc}); write braces as {{{{ and }}}}, got '{template}'"
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in fields or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return f"'{shown}' is not allowed; use only {allowed}, got '{template}'"
    return ""


def _archive_url(v: dict[str, str], bad) -> str:
    """'{site_url}/newsletter' by default; whatever it says must end up an absolute http(s) URL."""
    raw = v["archive_url"].strip()
    if "{site_url}" in raw and not is_absolute_http(v["site_url"]):
        return ""  # site_url's own error says it
    try:
        url = raw.format(site_url=v["site_url"].strip().rstrip("/")).rstrip("/")
    except (KeyError, IndexError, ValueError):
        url = ""
    if not is_absolute_http(url):
        bad("archive_url", f"expected an http(s) URL like {{site_url}}/newsletter, got '{raw}'")
    return url


def _cards_window(value: str, bad) -> int:
    """`cards_window`: how many of the newest issues get every card (0 for `all`)."""
    window = value.strip().lower()
    if window == "all":
        return 0
    if not (window.isascii() and window.isdigit()) or int(window) <= 0:
        bad("cards_window", f"expected a positive whole number or 'all', got '{value.strip()}'")
        return 0
    return int(window)


def _int(value: str, key: str, bad) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number <= 0:
        bad(key, f"expected a positive whole number, got '{value}'")
        return 0
    return number


def _dirs(root: Path, v: dict[str, str], lines: dict[str, int], bad, problems: Problems) -> dict[str, Path]:
    """posts_dir, templates_dir and build_dir: inside the project, also once every symbolic link on the
    way is followed (only --out and --project may point elsewhere). A link inside the project is
    followed. build_dir keeps its last part unresolved, so the build can refuse an output folder that
    is itself a link (its clean-up would reach the link's target)."""
    top = root.resolve()
    dirs = {}
    for key in ("posts_dir", "templates_dir", "build_dir"):
        value = v[key].strip()
        lexical = Path(os.path.normpath(top / value))
        real = lexical.parent.resolve() / lexical.name if key == "build_dir" else lexical.resolve()
        dirs[key] = real
        if not lexical.is_relative_to(top):
            bad(key, f"'{value}' is outside the project folder; the project's folders live inside it "
                     "(only --out and --project may point elsewhere)")  # fmt: skip
        elif not real.is_relative_to(top):
            if key in lines:
                bad(key, f"'{value}' resolves to {real}, outside the project, through a symbolic link; "
                         "choose a folder inside the project")  # fmt: skip
            else:
                shown = lexical.relative_to(top).as_posix()
                problems.error(shown, 0, f"symbolic link to outside the project ({real}): not followed; "
                               f"make {shown}/ a folder of the project, or set {key}", "settings")  # fmt: skip
    return dirs


def _check_dirs(root: Path, dirs: dict[str, Path], bad) -> None:
    """A build folder that holds, or sits inside, the sources would be wiped by a clean."""
    out = dirs["build_dir"]
    sources = {"posts_dir": dirs["posts_dir"], "templates_dir": dirs["templates_dir"],
               "the issues folder": (root / "issues").resolve()}  # fmt: skip
    for key, src in sources.items():
        if out == src or out.is_relative_to(src) or src.is_relative_to(out):
            bad(
                "build_dir",
                f"must be separate from {key} ('{src.name}'); a clean would delete sources",
            )


# The first four bytes of a TrueType, OpenType or collection file: what FreeType and fontTools read.
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf")


def _card_fonts(root: Path, text: str, bad) -> tuple[Path, ...]:
    """`card_fonts`: font files, one per line or comma-separated, relative to the project root."""
    out = []
    for name in filter(None, (n.strip() for n in re.split(r"[\n,]", text))):
        path = (root / name).resolve()
        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
        except OSError:
            bad("card_fonts", f"no font file '{name}' (paths are relative to the project root)")
            continue
        if magic not in _FONT_MAGIC:
            bad("card_fonts", f"'{name}' is not a TrueType or OpenType font (.ttf, .otf, .ttc)")
            continue
        out.append(path)
    return tuple(out)
