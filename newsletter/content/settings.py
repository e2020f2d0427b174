"""Site settings: the [newsletter] section of setup.cfg, found, read and validated in one place."""

from __future__ import annotations

import configparser
import datetime as dt
import difflib
import ipaddress
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.email import headers
from newsletter.errors import NewsletterError, Problems
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
    "schedule": "mon 09:00, wed 09:00, fri 09:00",
    "smtp_host": "localhost",
    "smtp_port": "587",
    "smtp_user": "",
    "smtp_starttls": "true",
    "posts_dir": "posts",
    "templates_dir": "templates",
    "build_dir": "build",
    "layout": "full",
    "card_fonts": "",  # font files tried after the shipped ones on image cards, one per line
    **{f"handle_{p}": "" for p in PLATFORMS},
}
# The default templates, shipped inside the package; a project's own file of the same name wins.
PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LAYOUTS = ("full", "digest")  # digest: title, image, summary and a "Read more" button per article
REQUIRED = ("name", "site_url", "from", "address", "unsubscribe_url")
# Values that reach a mail header, a URL or a single line of text.
SINGLE_LINE = (
    "name", "site_url", "from", "reply_to", "address", "unsubscribe_url", "language", "timezone",
    "utm_campaign", "post_url", "smtp_host", "smtp_user",
)  # fmt: skip
# The only fields each format-string setting may name (str.format would also reach attributes).
FORMAT_FIELDS = {"utm_campaign": ("week",), "post_url": ("site_url", "slug")}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)\w*\s+(\d{1,2}):(\d{2})")


@dataclass(frozen=True, order=True)
class Slot:
    """A weekly posting time: weekday (0 = Monday) and time of day, in the site's timezone."""

    weekday: int
    time: dt.time


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
    schedule: tuple[Slot, ...]
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
        if cfg.is_file() and _has_section(cfg):
            return folder
    raise NewsletterError(
        f"{start}: no setup.cfg with a [newsletter] section here or in any parent folder; "
        "run inside a project or pass --project DIR."
    )


def _has_section(cfg: Path) -> bool:
    try:
        return re.search(r"(?m)^\[newsletter\]\s*$", cfg.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return False


def load_settings(root: Path) -> Settings:
    cfg = root / "setup.cfg"
    # `key = value   ; note` keeps only the value, as in the README's examples (a ';' needs a space before it).
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    try:
        text = cfg.read_text(encoding="utf-8")
        parser.read_string(text, source=str(cfg))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise NewsletterError(f"setup.cfg: cannot be read: {exc}") from None
    if not parser.has_section(SECTION):
        raise NewsletterError("setup.cfg: no [newsletter] section; add one with at least name and site_url.")
    lines = _key_lines(text)
    raw = dict(parser.items(SECTION))
    problems = Problems()
    _check_keys(raw, lines, problems)
    values = {**DEFAULTS, **raw}
    settings = _build(root, values, lines, problems)
    problems.raise_if_errors()
    assert settings is not None
    return settings


def _key_lines(text: str) -> dict[str, int]:
    """configparser keeps no line numbers; find each key's line inside [newsletter]."""
    lines: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("["):
            inside = line.strip() == f"[{SECTION}]"
            if inside:
                lines["[section]"] = number
        elif inside and (match := re.match(r"([^\s=:#;][^=:]*?)\s*[=:]", line)):
            lines.setdefault(match.group(1).lower(), number)
    return lines


def _check_keys(raw: dict[str, str], lines: dict[str, int], problems: Problems) -> None:
    for key in raw:
        if key not in DEFAULTS:
            hint = difflib.get_close_matches(key, DEFAULTS, n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else "remove it or check the spelling"
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
    if v["site_url"] and "site_url" not in broken and (problem := _site_url_problem(v["site_url"])):
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
    if not _COLOR.fullmatch(v["accent_color"]):
        bad("accent_color", f"expected a hex colour like #8a6f5a, got '{v['accent_color']}'")
    elif message := _unreadable_accent(v["accent_color"]):
        bad("accent_color", message)
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
    schedule = _schedule(v["schedule"], bad)
    archive_url = _archive_url(v, bad)
    card_fonts = _card_fonts(root, v["card_fonts"], bad)
    dirs = {k: (root / v[k]).resolve() for k in ("posts_dir", "templates_dir", "build_dir")}
    _check_dirs(dirs, bad)
    if problems.has_errors():
        return None
    return Settings(
        root=root,
        name=v["name"].strip(),
        site_url=v["site_url"].rstrip("/"),
        sender=v["from"].strip(),
        reply_to=v["reply_to"].strip(),
        address=v["address"].strip(),
        unsubscribe_url=unsub,
        language=v["language"].strip(),
        timezone=v["timezone"].strip(),
        accent_color=v["accent_color"],
        utm_campaign=v["utm_campaign"].strip(),
        hashtags=tuple(t for t in re.split(r"[\s,#]+", v["hashtags"]) if t),
        post_url=v["post_url"].strip(),
        mastodon_max_characters=ints["mastodon_max_characters"] or 500,
        schedule=schedule,
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
    )


def _unreadable_accent(accent: str) -> str:
    """The button label is white or near-black, whichever reads on the accent; a few middle tones
    leave both under WCAG AA (4.5:1)."""
    from newsletter import colors

    if colors.readable(accent):
        return ""
    white, dark = colors.contrast(colors.WHITE, accent), colors.contrast(colors.DARK, accent)
    return (
        f"'{accent}' leaves the button label unreadable: white text reaches {white:.2f}:1 and dark "
        f"text {dark:.2f}:1, WCAG AA needs 4.5:1; choose a darker colour (white label) or a lighter one"
    )


def _schedule(text: str, bad) -> tuple[Slot, ...]:
    """'mon 09:00, thu 18:30' into weekly slots; an empty setting means no posting times."""
    slots = []
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        match = _SLOT.fullmatch(part)
        if not match or int(match.group(2)) > 23 or int(match.group(3)) > 59:
            bad("schedule", f"expected slots like 'mon 09:00, thu 18:30', got '{part}'")
            return ()
        hour, minute = int(match.group(2)), int(match.group(3))
        slots.append(Slot(DAYS.index(match.group(1)), dt.time(hour, minute)))
    return tuple(sorted(set(slots)))


def _site_url_problem(url: str) -> str:
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


def _unsubscribe_problem(url: str) -> str:
    expected = f"expected an ESP merge tag like *|UNSUB|* or an http(s) URL, got '{url}'"
    if is_merge_tag(url):
        return ""
    if not is_absolute_http(url) or _site_url_problem(url):
        return expected
    if "=?" in url:
        return f"{expected}: it contains '=?' (MIME encoded-word syntax); percent-encode it as %3D%3F"
    if re.search(r"[^!-~]|[<>\"\\^`{|}]", url):
        return f'{expected}: percent-encode spaces, non-ASCII and <>"{{|}}^` in it'
    limit = headers.MAX_LINE - 3  # ' <' + url + '>' on a folded List-Unsubscribe line
    if len(url) > limit:
        return f"the URL is {len(url)} characters; at most {limit} fit the List-Unsubscribe header line"
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


def _int(value: str, key: str, bad) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number <= 0:
        bad(key, f"expected a positive whole number, got '{value}'")
        return 0
    return number


def _check_dirs(dirs: dict[str, Path], bad) -> None:
    """A build folder that holds, or sits inside, the sources would be wiped by a clean."""
    out = dirs["build_dir"]
    for key in ("posts_dir", "templates_dir"):
        src = dirs[key]
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
