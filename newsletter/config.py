"""Site settings: the [newsletter] section of setup.cfg, found, read and validated in one place."""

from __future__ import annotations

import configparser
import difflib
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import NewsletterError, Problems
from .urls import is_absolute_http, is_merge_tag

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
    **{f"handle_{p}": "" for p in PLATFORMS},
}
REQUIRED = ("name", "site_url", "from", "address", "unsubscribe_url")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")


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
    schedule: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_starttls: bool
    posts_dir: Path
    templates_dir: Path
    build_dir: Path
    handles: dict[str, str] = field(default_factory=dict)
    archive_url: str = ""  # absolute, {site_url} filled in: cards live at {archive_url}/YYYY-Www/cards/

    @property
    def domain(self) -> str:
        return self.site_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def url_for(self, slug: str) -> str:
        return self.post_url.format(site_url=self.site_url.rstrip("/"), slug=slug)

    def campaign(self, week: str) -> str:
        return self.utm_campaign.format(week=week)

    def relative(self, path: Path) -> str:
        """A path as the user sees it in messages: relative to the project root."""
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
    parser = configparser.ConfigParser(interpolation=None)
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

    for key in ("name", "from", "reply_to", "address"):
        if "\r" in v[key] or "\n" in v[key].strip():
            bad(key, "must be a single line")
    if v["site_url"] and not is_absolute_http(v["site_url"]):
        bad(
            "site_url",
            f"expected an absolute http(s) URL like https://example.com, got '{v['site_url']}'",
        )
    if v["from"] and not _EMAIL.fullmatch(parseaddr(v["from"])[1] or "-"):
        bad("from", f"expected 'Name <address@example.com>', got '{v['from']}'")
    if v["reply_to"] and not _EMAIL.fullmatch(parseaddr(v["reply_to"])[1] or "-"):
        bad("reply_to", f"expected an email address, got '{v['reply_to']}'")
    unsub = v["unsubscribe_url"]
    if unsub and not (is_merge_tag(unsub) or is_absolute_http(unsub)):
        bad(
            "unsubscribe_url",
            f"expected an ESP merge tag like *|UNSUB|* or an http(s) URL, got '{unsub}'",
        )
    try:
        ZoneInfo(v["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        bad(
            "timezone",
            f"unknown timezone '{v['timezone']}'; use an IANA name such as Europe/London",
        )
    if not _COLOR.fullmatch(v["accent_color"]):
        bad("accent_color", f"expected a hex colour like #8a6f5a, got '{v['accent_color']}'")
    ints = {k: _int(v[k], k, bad) for k in ("smtp_port", "mastodon_max_characters")}
    if "{slug}" not in v["post_url"]:
        bad("post_url", f"must contain {{slug}}, got '{v['post_url']}'")
    archive_url = _archive_url(v, bad)
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
        unsubscribe_url=unsub.strip(),
        language=v["language"].strip(),
        timezone=v["timezone"].strip(),
        accent_color=v["accent_color"],
        utm_campaign=v["utm_campaign"].strip(),
        hashtags=tuple(t for t in re.split(r"[\s,#]+", v["hashtags"]) if t),
        post_url=v["post_url"].strip(),
        mastodon_max_characters=ints["mastodon_max_characters"] or 500,
        schedule=v["schedule"],
        smtp_host=v["smtp_host"].strip(),
        smtp_port=ints["smtp_port"] or 587,
        smtp_user=v["smtp_user"].strip(),
        smtp_starttls=v["smtp_starttls"].strip().lower() in ("1", "true", "yes", "on"),
        posts_dir=dirs["posts_dir"],
        templates_dir=dirs["templates_dir"],
        build_dir=dirs["build_dir"],
        handles={p: v[f"handle_{p}"].strip() for p in PLATFORMS if v[f"handle_{p}"].strip()},
        archive_url=archive_url,
    )


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
