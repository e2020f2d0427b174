"""Scheduler CSVs as Buffer and Hootsuite import them (issue 21, item 9): every column read back with
the csv module, Hootsuite's date in the format chosen at upload, the link said once, the card where a
post is a picture, Buffer tags only from `buffer_tags`, slots staggered per platform in a time zone the
file names say, and the same bytes for the same inputs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from conftest import SETTINGS

ZONE = "America-Los_Angeles"  # the test settings' timezone, as file names carry it
DRAFT = "posts/2026-10-20-not-yet.md"
STRFTIME = {"MM/DD/YYYY HH:mm": "%m/%d/%Y %H:%M", "DD/MM/YYYY HH:mm": "%d/%m/%Y %H:%M",
            "YYYY-MM-DD HH:mm": "%Y-%m-%d %H:%M"}  # fmt: skip


def _rows(path, bom: bool) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _export(cli, project, fmt: str, *extra: str, out: str = "out"):
    folder = project.root / out
    result = cli("--project", project.root, "social", "--format", fmt, "--out", folder, *extra)
    assert result.exit_code == 0, result.output
    return folder


def _buffer_times(folder, platform: str, zone: str = ZONE) -> list[str]:
    header, *rows = _rows(folder / f"captions-buffer-{platform}.{zone}.csv", bom=True)
    return [row[header.index("Posting Time")] for row in rows]


def _exported_captions(cli, project) -> list[dict]:
    """What the scheduler files should hold, in order: every caption but the threads."""
    result = cli("--project", project.root, "social", "--format", "json")
    return [c for c in json.loads(result.stdout) if c["kind"] != "thread"]


def test_hootsuite_rows_are_date_text_link_and_the_card_where_a_post_is_a_picture(sample, cli):
    out = _export(cli, sample, "hootsuite", "--start", "2026-11-23")
    captions = _exported_captions(cli, sample)
    platforms = sorted({c["platform"] for c in captions})
    assert sorted(p.name for p in out.iterdir()) == [f"captions-hootsuite-{p}.{ZONE}.csv" for p in platforms]
    for platform in platforms:
        rows = _rows(out / f"captions-hootsuite-{platform}.{ZONE}.csv", bom=False)
        expected = [c for c in captions if c["platform"] == platform]
        assert len(rows) == len(expected) == 6  # no header row: two articles x teaser, benefits, quote
        for row, caption in zip(rows, expected, strict=True):
            dt.datetime.strptime(row[0], "%m/%d/%Y %H:%M")  # the date column, in the default format
            assert row[1] == caption["text"]  # the text as captions.json has it, counted and fitted
            if platform in ("instagram", "pinterest"):  # a post there is a picture: the card goes with it
                assert len(row) == 4 and row[3] == caption["image"]
                assert row[3].endswith("-1080x1350.png" if platform == "instagram" else "-1000x1500.png")
            else:  # the link's preview is the picture: the three columns
                assert len(row) == 3
            if platform == "pinterest":  # the pin's link: in its column, never in the description
                assert row[2] == caption["link"] and "://" not in row[1]
            elif platform == "instagram":  # not clickable: "Link in bio.", and no link for Hootsuite to add
                assert row[2] == "" and "Link in bio." in row[1]
            else:  # the text carries the link: a link column would post it twice
                assert row[2] == "" and caption["link"] in row[1]
    x = _rows(out / f"captions-hootsuite-x.{ZONE}.csv", bom=False)
    linkedin = _rows(out / f"captions-hootsuite-linkedin.{ZONE}.csv", bom=False)
    assert [r[0] for r in x[:2]] == ["11/23/2026 09:00", "11/25/2026 09:00"]
    assert [r[0] for r in linkedin[:2]] == ["11/23/2026 09:30", "11/25/2026 09:30"]


def test_the_link_column_holds_the_link_only_when_the_text_lacks_it(project, cli):
    project.post(
        "2026-10-14-short.md",
        "---\ntitle: Short\ndate: 2026-10-14\nsocial:\n  x: A teaser written without its link\n"
        "  linkedin: 'A teaser with it: https://viaskincare.com/blog/short'\n---\n\nMassage helps.\n",
    )
    out = _export(cli, project, "hootsuite", "--kind", "teaser", "--platform", "x", "--platform", "linkedin")
    ((_, text, link),) = _rows(out / f"captions-hootsuite-x.{ZONE}.csv", bom=False)
    assert text == "A teaser written without its link"
    assert (
        link
        == "https://viaskincare.com/blog/short?utm_source=x&utm_medium=social&utm_campaign=weekly-2026-W42"
    )
    ((_, text, link),) = _rows(out / f"captions-hootsuite-linkedin.{ZONE}.csv", bom=False)
    assert (text, link) == ("A teaser with it: https://viaskincare.com/blog/short", "")


# The fast loop keeps the one a user types as the dialog writes it; each format's dates are also in the
# fast loop elsewhere (MM/DD: the rows test above, YYYY-MM-DD: the setting's test below).
SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    ("typed", "name", "first"),
    [
        pytest.param("MM/DD/YYYY HH:mm", "MM/DD/YYYY HH:mm", "11/23/2026 09:00", marks=SLOW),
        pytest.param("DD/MM/YYYY HH:mm", "DD/MM/YYYY HH:mm", "23/11/2026 09:00", marks=SLOW),
        pytest.param("YYYY-MM-DD HH:mm", "YYYY-MM-DD HH:mm", "2026-11-23 09:00", marks=SLOW),
        ("dd/mm/yyyy  hh:mm", "DD/MM/YYYY HH:mm", "23/11/2026 09:00"),  # as Hootsuite's dialog writes it
    ],
)
def test_the_date_is_in_the_format_chosen_at_upload(sample, cli, typed, name, first):
    out = _export(cli, sample, "hootsuite", "--date-format", typed, "--start", "2026-11-23")
    rows = [row for path in sorted(out.iterdir()) for row in _rows(path, bom=False)]
    assert all(dt.datetime.strptime(row[0], STRFTIME[name]) for row in rows)
    assert _rows(out / f"captions-hootsuite-x.{ZONE}.csv", bom=False)[0][0] == first


def test_the_date_format_setting_is_the_default_and_the_option_overrides_it(sample, cli):
    sample.settings("hootsuite_date_format = yyyy-mm-dd hh:mm\n")
    out = _export(cli, sample, "csv", "--start", "2026-11-23")
    assert _rows(out / f"captions-hootsuite-x.{ZONE}.csv", bom=False)[0][0] == "2026-11-23 09:00"
    assert _buffer_times(out, "x")[0] == "2026-11-23 09:00"  # Buffer's own format, whatever Hootsuite's
    out = _export(cli, sample, "csv", "--start", "2026-11-23", "--date-format", "DD/MM/YYYY HH:mm", out="o2")
    assert _rows(out / f"captions-hootsuite-x.{ZONE}.csv", bom=False)[0][0] == "23/11/2026 09:00"
    assert _buffer_times(out, "x")[0] == "2026-11-23 09:00"


def test_a_date_format_hootsuite_does_not_offer_is_a_usage_error_naming_those_it_does(sample, cli):
    out = sample.root / "out"
    result = cli("--project", sample.root, "social", "--format", "hootsuite", "--date-format", "YYYY/MM/DD",
                 "--out", out)  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--date-format': 'YYYY/MM/DD' is not one of 'MM/DD/YYYY HH:mm', "
        "'DD/MM/YYYY HH:mm', 'YYYY-MM-DD HH:mm' (pick the same in Hootsuite's upload dialog)\n"
    )
    result = cli("--project", sample.root, "social", "--format", "buffer", "--date-format",
                 "MM/DD/YYYY HH:mm", "--out", out)  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for --date-format: only --format hootsuite and csv write Hootsuite's dates, "
        "not --format buffer (Buffer's Posting Time is always YYYY-MM-DD HH:mm)\n"
    )
    assert not out.exists()
    sample.settings("hootsuite_date_format = YYYY/MM/DD\n")
    result = cli("--project", sample.root, "social", "--format", "hootsuite", "--out", out)
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg:15: [newsletter] hootsuite_date_format: expected one of MM/DD/YYYY HH:mm | "
        "DD/MM/YYYY HH:mm | YYYY-MM-DD HH:mm (the format chosen in Hootsuite's upload dialog), "
        "got 'YYYY/MM/DD'\n"
        "Aborted: 1 error found.\n"
    )


def test_buffer_tags_are_the_accounts_labels_from_the_setting_never_the_hashtags(sample, cli):
    for extra, tags in (
        ("", ""),
        ("buffer_tags = Newsletter, Skincare, Newsletter\n", "Newsletter,Skincare"),
    ):
        sample.settings(extra)
        out = _export(cli, sample, "buffer", out=f"out{len(extra)}")
        for path in out.iterdir():
            header, *rows = _rows(path, bom=True)
            assert header == ["Text", "Image URL", "Tags", "Posting Time"]
            assert rows and [row[2] for row in rows] == [tags] * len(rows)


def test_a_platforms_own_slots_replace_the_schedule_and_offsets_are_the_whole_list(sample, cli):
    sample.settings(
        "schedule_linkedin = tue 08:00, thu 08:00\nschedule_offsets = facebook 45, linkedin 300\n"
    )
    out = _export(cli, sample, "buffer", "--start", "2026-11-23")
    assert _buffer_times(out, "linkedin")[:3] == ["2026-11-24 08:00", "2026-11-26 08:00", "2026-12-01 08:00"]
    assert _buffer_times(out, "facebook")[:2] == ["2026-11-23 09:45", "2026-11-25 09:45"]
    for platform in ("x", "pinterest", "instagram"):  # not named: at the slot itself
        assert _buffer_times(out, platform)[:2] == ["2026-11-23 09:00", "2026-11-25 09:00"], platform


def test_an_offset_moves_wall_clock_time_across_dst_and_across_days(sample, cli):
    sample.settings("schedule = sun 01:45\nschedule_offsets = x 30, linkedin -120\n")
    out = _export(cli, sample, "buffer", "--start", "2027-03-13", "--platform", "x", "--platform", "linkedin")
    # 2027-03-14 is the day Los Angeles skips 02:00-03:00: 02:15 that day is read as the clocks do, 03:15
    assert _buffer_times(out, "x")[:2] == ["2027-03-14 03:15", "2027-03-21 02:15"]
    # two hours before Sunday 01:45 is Saturday 23:45, the start day itself
    assert _buffer_times(out, "linkedin")[:2] == ["2027-03-13 23:45", "2027-03-20 23:45"]
    # Sunday 23:00 two hours on is Monday 01:00: a start on that Monday gets it, from the week before's slot
    sample.settings("schedule = sun 23:00\nschedule_offsets = x 120\n")
    out = _export(cli, sample, "buffer", "--start", "2026-11-30", "--platform", "x", out="monday")
    assert _buffer_times(out, "x")[:2] == ["2026-11-30 01:00", "2026-12-07 01:00"]


def _zone(project, zone: str, extra: str = "") -> None:
    project.settings(text=SETTINGS.replace("timezone = America/Los_Angeles", f"timezone = {zone}") + extra)


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        pytest.param("Europe/Berlin", "Europe-Berlin", marks=SLOW),  # the fast loop has the deeper name
        ("America/Argentina/Buenos_Aires", "America-Argentina-Buenos_Aires"),
    ],
)
def test_the_time_zone_is_in_the_file_names_and_the_times_are_its_wall_clock(sample, cli, zone, label):
    _zone(sample, zone)
    out = sample.root / "out"
    result = cli("--project", sample.root, "social", "--format", "csv", "--out", out, "--start", "2026-11-23")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 16 and all(n.endswith(f".{label}.csv") for n in names)
    assert f"Wrote {out / f'captions-hootsuite-x.{label}.csv'}" in result.stderr.splitlines()
    assert _buffer_times(out, "x", label)[0] == "2026-11-23 09:00"  # 09:00 there, whatever the machine's zone


def test_a_timezone_is_a_place_not_this_machines_setting(project, cli):
    _zone(project, "localtime")
    result = cli("--project", project.root, "social", "--format", "buffer", "--out", project.root / "out")
    assert result.exit_code == 1
    assert result.stderr == (
        "setup.cfg:11: [newsletter] timezone: 'localtime' is a file of this machine's time zone database, "
        "not an IANA zone name; use one such as Europe/London\n"
        "Aborted: 1 error found.\n"
    )


def test_bad_scheduling_settings_name_their_key_and_line(project, cli):
    project.settings(
        "schedule_offsets = twiter 5, linkedin, facebook 60, facebook 30, pinterest 3000\n"
        "schedule_bluesky = tue 9\n"
        "buffer_tags = Newsletter\n  Skincare\n"
        "schedule_linkdin = mon 09:00\n"
    )
    result = cli("--project", project.root, "check")
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("setup.cfg:")]
    key = "setup.cfg:{}: error[settings]: [newsletter] {}"
    assert errors == [
        key.format(15, "schedule_offsets: 'facebook' is given twice; keep one"),
        key.format(
            15, "schedule_offsets: an offset is minutes, at most 1440 either way, got 'pinterest 3000'"
        ),
        key.format(
            15,
            "schedule_offsets: expected 'platform minutes' like 'linkedin 30, facebook 60', got 'linkedin'",
        ),
        key.format(15, "schedule_offsets: unknown platform 'twiter' in 'twiter 5': did you mean 'x'?"),
        key.format(16, "schedule_bluesky: expected slots like 'mon 09:00, thu 18:30', got 'tue 9'"),
        key.format(
            17, "buffer_tags: expected tags on one line, separated by commas, like 'Newsletter, Skincare'"
        ),
        key.format(19, "unknown key 'schedule_linkdin': did you mean 'schedule_linkedin'?"),
    ]


@pytest.mark.slow  # six exports, each of a whole project
def test_hootsuite_needs_a_time_on_every_row_on_a_5_minute_mark(sample, cli):
    out = sample.root / "out"
    where = "setup.cfg: [newsletter] schedule (or schedule_bluesky, schedule_offsets)"
    for extra, message in (
        ("schedule = mon 09:03\n", "--format hootsuite: Hootsuite takes times on 5-minute marks (09:00, "
         f"09:05, …), and a bluesky slot falls at 11:33; change {where}\n"),
        ("schedule =\n", "--format hootsuite: every Hootsuite row needs a posting time, and bluesky has no "
         f"slots; set {where}\n"),
    ):  # fmt: skip
        sample.settings(extra)
        result = cli("--project", sample.root, "social", "--format", "csv", "--out", out)
        assert result.exit_code == 1
        assert result.stderr == message
        assert not out.exists()  # refused before anything is written, Buffer's files too
    sample.settings("schedule = mon 09:03\n")
    buffer = _export(cli, sample, "buffer", "--start", "2026-11-23")
    assert _buffer_times(buffer, "x")[0] == "2026-11-23 09:03"  # Buffer takes any minute
    sample.settings("schedule =\n")
    queued = _export(cli, sample, "buffer", out="queued")
    assert set(_buffer_times(queued, "x")) == {""}  # no slots: blank, and Buffer queues the posts


def test_the_same_inputs_give_byte_identical_files(sample, cli):
    first = _export(cli, sample, "csv", "--start", "2026-11-23", out="one")
    again = _export(cli, sample, "csv", "--start", "2026-11-23", out="two")
    files = {p.name: p.read_bytes() for p in sorted(first.iterdir())}
    assert len(files) == 16
    assert files == {p.name: p.read_bytes() for p in sorted(again.iterdir())}


@pytest.mark.parametrize("named", [[DRAFT], ["not-yet"], ["not-yet", "--format", "buffer"]])
def test_a_draft_named_on_the_command_line_is_an_error(sample, cli, named, monkeypatch):
    monkeypatch.chdir(sample.root)  # a file named is relative to where the command runs
    sample.post(
        DRAFT.removeprefix("posts/"), "---\ntitle: Not yet\ndate: 2026-10-20\ndraft: true\n---\n\nSoon.\n"
    )
    out = sample.root / "out"
    result = cli("--project", sample.root, "social", *named, "--out", out)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{DRAFT}:4: is a draft; set 'draft: false' when it is published, then export its captions\n"
        "Aborted: 1 error found.\n"
    )
    assert not out.exists()
