"""The studio's brand, from [newsletter] in setup.cfg: logo, colours, social links, the subscribe link and
the postal address. Errors are `setup.cfg:LINE` problems like every setting's; what the build can mend
itself (a colour too pale to read, a logo given wider than its pixels) or what only sending must refuse
(a placeholder address) are notes: warnings, each with its rule, that the plan reports."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from newsletter import colors
from newsletter.content import reader
from newsletter.errors import WARNING, Problem, Problems, closest
from newsletter.urls import file_part, is_absolute_http, split

DEFAULTS = {
    "logo": "",  # a project file (images/logo.png) or an https URL
    "logo_width": "",  # pixels in the email; default: the picture's own width, at most DEFAULT_LOGO_WIDTH
    "logo_dark": "",  # the logo for dark mode (same rules as logo), where clients support it
    "accent_color_dark": "",  # dark mode's accent; default: accent_color lightened until it reads
    "social_links": "",  # one `network URL` per line (or comma)
    "subscribe_url": "",  # the sign-up page the web copy and the archive link to
}
COLUMN = 536  # the email's column, in pixels
DEFAULT_LOGO_WIDTH = 200
# A logo is a small picture; the cap keeps a stray video named logo.png from being read whole.
LOGO = reader.Kind("a logo is", 2 * 1024 * 1024, "use a PNG, JPEG, GIF or WebP file")
NETWORKS = {
    "instagram": "Instagram", "facebook": "Facebook", "tiktok": "TikTok", "linkedin": "LinkedIn",
    "pinterest": "Pinterest", "youtube": "YouTube", "x": "X", "bluesky": "Bluesky", "threads": "Threads",
    "mastodon": "Mastodon", "site": "",  # a site is labelled by its host
}  # fmt: skip
# A bare URL names its network by its host.
HOSTS = {
    "instagram.com": "instagram", "facebook.com": "facebook", "fb.com": "facebook", "tiktok.com": "tiktok",
    "linkedin.com": "linkedin", "pinterest.com": "pinterest", "pin.it": "pinterest", "youtube.com": "youtube",
    "youtu.be": "youtube", "x.com": "x", "twitter.com": "x", "bsky.app": "bluesky", "threads.net": "threads",
}  # fmt: skip
# What `init` and the sample write, and what an unfinished address still says, as whole words only:
# `Examplestraße 5` and `1 Main St, Example, TX` are real addresses.
PLACEHOLDER = re.compile(
    r"\b(?:to be (?:confirmed|determined|announced|added)|example (?:street|st|road|rd|avenue|ave|lane)"
    r"|example\.(?:com|org|net)|your (?:postal |street )?address|address here|lorem ipsum"
    r"|TBD|TBC|TBA|X{3,}|N/A)\b",
    re.IGNORECASE,
)
_COLOR = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")
_ENTRY = re.compile(r"([A-Za-z][\w-]*)\s*(?:[:=]\s*|\s+)(\S+)")

Bad = Callable[[str, str], None]


@dataclass(frozen=True)
class Logo:
    """`url` for a logo on the web; `file` (images/logo-HASH.EXT) for a project file, which every
    issue folder gets a copy of, so its URL is that issue's: see `url_in`."""

    src: str  # as typed
    url: str
    file: str
    width: int
    height: int  # 0 when unknown (a logo on the web is never downloaded to measure it)
    data: bytes = field(default=b"", repr=False)

    def url_in(self, archive_url: str, week: str) -> str:
        return self.url or f"{archive_url.rstrip('/')}/{week}/{self.file}"


@dataclass(frozen=True)
class SocialLink:
    network: str
    label: str
    url: str


@dataclass(frozen=True)
class Brand:
    palette: colors.Palette
    logo: Logo | None = None
    social_links: tuple[SocialLink, ...] = ()
    subscribe_url: str = ""
    notes: tuple[Problem, ...] = ()  # warnings about these keys, reported by every plan
    logo_dark: Logo | None = None  # shown instead of `logo` in dark mode, where the client supports it

    @property
    def fingerprint(self) -> str:
        """What the build's cache must see beyond setup.cfg's bytes: the logo files' content."""
        return " ".join(logo.file for logo in (self.logo, self.logo_dark) if logo)


def default() -> Brand:
    return Brand(colors.palette("#1a73e8")[0])


def parse(root: Path, v: dict[str, str], lines: dict[str, int], text: str, problems: Problems) -> Brand:
    """The brand keys of the [newsletter] values `v` (defaults filled in); errors go to `problems`."""
    notes: list[Problem] = []

    def line(key: str) -> int:
        return lines.get(key, lines.get("[section]", 0))

    def bad(key: str, message: str) -> None:
        problems.error("setup.cfg", line(key), f"[newsletter] {key}: {message}", "settings")

    def note(key: str, message: str, rule: str) -> None:
        notes.append(Problem("setup.cfg", line(key), f"[newsletter] {key}: {message}", WARNING, rule))

    made = _palette(v, bad, note)
    logo = _logo(root, v, bad, note)
    dark = _logo(root, v, bad, note, "logo_dark") if logo is not None else None
    if v["logo_dark"].strip() and logo is None and v["logo"].strip() == "":
        bad("logo_dark", "is set but logo is not; set logo too (logo_dark is its dark-mode version)")
    if (
        logo is not None
        and dark is None
        and not v["logo_dark"].strip()
        and (why := _dark_on_clear(logo, made))
    ):
        note("logo", why, "logo")
    social = _social(v["social_links"], line("social_links"), text, problems, notes)
    subscribe = v["subscribe_url"].strip()
    if subscribe and (problem := _url_problem(subscribe)):
        bad("subscribe_url", f"{problem}: give the address of your sign-up page")
    elif subscribe.lower().startswith("http://"):
        note("subscribe_url", f"insecure link '{subscribe}'", "link-insecure")
    if message := address_problem(v["address"]):
        note("address", message, "address")
    return Brand(made, logo, social, subscribe, tuple(notes), dark)


def address_problem(address: str) -> str:
    """Why the postal address cannot go out, or ''."""
    address = ", ".join(" ".join(line.split()) for line in address.split("\n") if line.strip())
    why = "a postal address is required in commercial email in the US and the EU"
    if not address:
        return f"is empty; {why}: set it to the sender's postal address"
    if match := PLACEHOLDER.search(address):
        return (
            f"'{address}' is a placeholder ('{match.group(0)}'); {why}: set it to the sender's postal address"
        )
    return ""


# Colours ---------------------------------------------------------------------------------------------


def _palette(v: dict[str, str], bad: Bad, note) -> colors.Palette:
    accent, dark = v["accent_color"].strip(), v["accent_color_dark"].strip()
    if dark and not _COLOR.fullmatch(dark):
        bad("accent_color_dark", f"expected a hex colour like #c9a88f, got '{dark}'")
        dark = ""
    if not _COLOR.fullmatch(accent):  # settings names it
        return default().palette
    made, moved = colors.palette(accent, dark)
    for change in moved:
        note(change.key, _moved(change), "accent-contrast")
    return made


def _moved(c: colors.Adjusted) -> str:
    if c.uses == "the button":
        return (
            f"neither a white nor a dark label reaches {c.needed:g}:1 on '{c.original}' ({c.before:.2f}:1 at "
            f"best), so the button uses '{c.adjusted}' (white label, {c.after:.2f}:1); set a darker or "
            f"lighter accent_color to choose the shade yourself"
        )
    where = "the white email" if c.mode == "light" else f"the dark-mode email ({c.background})"
    way = "darker" if c.mode == "light" else "lighter"
    return (
        f"'{c.original}' reaches {c.before:.2f}:1 on {where}; WCAG AA needs {c.needed:g}:1 for {c.uses}, so "
        f"they use '{c.adjusted}' ({c.after:.2f}:1); set a {way} {c.key} to choose the shade yourself"
    )


# The logo --------------------------------------------------------------------------------------------


def _logo(root: Path, v: dict[str, str], bad: Bad, note, key: str = "logo") -> Logo | None:
    """`logo` or `logo_dark`: the same rules, both shown `logo_width` wide (logo_width's own errors
    are said once, for `logo`)."""
    src, width_text = v[key].strip(), v["logo_width"].strip()
    width = 0
    if width_text:
        width = int(width_text) if width_text.isdigit() else 0
        if not 1 <= width <= COLUMN:
            if key == "logo":
                bad("logo_width", f"expected a width in pixels from 1 to {COLUMN} (the email's column), got "
                                  f"'{width_text}'")  # fmt: skip
            width = 0
    if not src:
        return None
    if "://" in src or src.startswith("//"):
        if problem := _url_problem(src):
            bad(key, f"{problem}: give an https:// URL or a file of the project such as images/{key}.png")
            return None
        if urlsplit(src).scheme.lower() == "http":  # as an http:// hero is (check's rule link-insecure)
            note(key, f"insecure logo '{src}': mail clients block or flag http:// pictures; change "
                      "http:// to https://", "link-insecure")  # fmt: skip
        if not width:
            note(key, f"'{src}' is on the web and has no logo_width: it is shown {DEFAULT_LOGO_WIDTH} px "
                      "wide (the build never downloads it to measure); set logo_width", "logo")  # fmt: skip
        return Logo(src, src, "", width or DEFAULT_LOGO_WIDTH, 0)
    if src.startswith("/"):  # a path on the site, as a post's image may be
        url = v["site_url"].strip().rstrip("/") + src
        return Logo(src, url, "", width or DEFAULT_LOGO_WIDTH, 0)
    return _logo_file(root, src, width, bad, note, key)


def _logo_file(root: Path, src: str, width: int, bad: Bad, note, key: str = "logo") -> Logo | None:
    """A logo in the project, made by the pipeline every post picture goes through (email.pictures):
    decoded in full, within its limits, upright, sRGB, no metadata, at most twice its display width
    (sharp on high-density screens), PNG or JPEG. Its file name is read as a post image's is."""
    from newsletter.email import pictures  # only a project with a logo file pays for Pillow

    file, dropped = file_part(src)
    path = root / file
    if not Path(file).parts or ".." in Path(file).parts or reader.leads_out(path, root):
        bad(key, f"'{src}' is outside the project; put the logo in the project, e.g. images/{key}.png")
        return None
    found = Problems()
    data = reader.read_file(path, file, found, LOGO)
    if data is None:
        bad(key, f"'{src}' " + "; ".join(p.message for p in found.items) + dropped)
        return None
    display = width or DEFAULT_LOGO_WIDTH
    try:
        made = pictures.make(data, True, max_width=2 * display, animation=False, digits=12)
    except pictures.NotAPicture:
        why = " (Gmail and Outlook do not show SVG; export a PNG)" if file.lower().endswith(".svg") else ""
        bad(key, f"'{src}' is not a PNG, JPEG, GIF or WebP image{why}")
        return None
    except pictures.Unusable as exc:
        bad(key, f"'{src}': {exc}")
        return None
    if width > made.width:  # never resized then: made.width is the picture's own
        note(key, f"logo_width {width} is wider than '{src}' ({made.width} px): it is shown {made.width} px "
                  "wide, never stretched; give a picture at least twice as wide for sharp screens", "logo")  # fmt: skip
    shown = min(display, made.width)
    height = round(shown * made.height / made.width)
    return Logo(src, "", f"images/logo-{made.tail}", shown, height, made.data or b"")


CLEAR_SHARE = 0.1  # a logo with at least this share of (nearly) transparent pixels shows the card behind it
DARK_LOGO_RATIO = 3.0  # WCAG 1.4.11 for graphics: below this on the dark-mode card, the logo fades away


def _dark_on_clear(logo: Logo, palette: colors.Palette) -> str:
    """Why a logo file disappears in dark mode, or '': its opaque pixels, averaged, reach less than
    DARK_LOGO_RATIO against the dark-mode card they sit on where it is transparent."""
    if not logo.data:
        return ""
    from PIL import Image

    with Image.open(io.BytesIO(logo.data)) as opened:
        image = opened.convert("RGBA")
    image.thumbnail((256, 256))  # a few thousand pixels say as much as a million
    alpha = image.getchannel("A")
    clear = sum(alpha.histogram()[:16]) / (image.width * image.height)
    opaque = Image.eval(alpha, lambda a: 255 if a >= 128 else 0)
    if clear < CLEAR_SHARE or not opaque.getbbox():
        return ""
    average = Image.new("RGB", image.size)
    average.paste(image.convert("RGB"), mask=opaque)
    count = sum(opaque.histogram()[255:])
    channels = [sum(n * v for v, n in enumerate(band.histogram())) / count for band in average.split()]
    shade = colors.hex_of(tuple(round(c) for c in channels))  # type: ignore[arg-type]
    ratio = colors.contrast(shade, palette.card_dark)
    if ratio >= DARK_LOGO_RATIO:
        return ""
    return (
        f"'{logo.src}' is dark on a transparent background (its pixels average {shade}, {ratio:.2f}:1 on the "
        f"dark-mode card {palette.card_dark}; {DARK_LOGO_RATIO:g}:1 is needed): it nearly disappears in dark "
        "mode; set logo_dark to a light version of it, or give the logo a background of its own"
    )


# Links -----------------------------------------------------------------------------------------------


def _url_problem(url: str) -> str:
    parts = split(url)
    if parts is None or not is_absolute_http(url) or re.search(r"[\s<>\"]", url):
        return f"expected an http(s) URL, got '{url}'"
    if "@" in parts.netloc:
        return f"'{url}' holds a user name or password (the part before '@'); remove it"
    return ""


def _social(
    value: str, key_line: int, text: str, problems: Problems, notes: list[Problem]
) -> tuple[SocialLink, ...]:
    """`network URL` entries, one a line (or separated by commas); a bare URL names its network by its
    host. Each problem names the entry's own line; an http:// link is a `link-insecure` note, as an
    http:// link or image in a post is."""
    found: dict[str, tuple[SocialLink, int]] = {}
    physical = text.split("\n")
    for entry in (e.strip() for e in re.split(r"[\n,]", value)):
        if not entry:
            continue
        number = _entry_line(entry, key_line, physical)

        def bad(message: str, number: int = number) -> None:
            problems.error("setup.cfg", number, f"[newsletter] social_links: {message}", "settings")

        link = _social_link(entry, bad)
        if link is None:
            continue
        if link.network in found:
            bad(f"'{link.network}' is listed twice (first on line {found[link.network][1]}); keep one")
            continue
        found[link.network] = (link, number)
        if link.url.lower().startswith("http://"):
            message = f"[newsletter] social_links: {link.network}: insecure link '{link.url}'"
            notes.append(Problem("setup.cfg", number, message, WARNING, "link-insecure"))
    return tuple(link for link, _ in found.values())


def _social_link(entry: str, bad: Callable[[str], None]) -> SocialLink | None:
    if entry.lower().startswith(("http://", "https://")):
        network, url = _network_of(entry), entry
    elif match := _ENTRY.fullmatch(entry):
        network, url = match.group(1).lower(), match.group(2)
    else:
        bad(f"expected 'network URL' such as 'instagram https://www.instagram.com/yourstudio', got '{entry}'")
        return None
    if network not in NETWORKS:
        hint = closest(network, NETWORKS)
        known = ", ".join(NETWORKS)
        bad(f"unknown network '{network}'{f': did you mean {hint!r}?' if hint else ''} (known: {known})")
        return None
    if problem := _url_problem(url):
        bad(f"{network}: {problem}")
        return None
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return SocialLink(network, NETWORKS[network] or host, url)


def _network_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.").removeprefix("m.")
    for known, network in HOSTS.items():
        if host == known or host.endswith("." + known):
            return network
    return "site"


def _entry_line(entry: str, key_line: int, physical: list[str]) -> int:
    """The line of setup.cfg holding `entry`: configparser keeps no line numbers in a value."""
    for number in range(key_line, len(physical) + 1):
        if entry in physical[number - 1]:
            return number
    return key_line
