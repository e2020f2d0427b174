"""The README's settings block is what a new user copies: pasted into setup.cfg, it must just work."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_settings_block_pasted_into_setup_cfg_builds_clean_links(sample, cli):
    block = _readme_settings()
    assert "; " in block  # the block carries notes after the values
    (sample.root / "setup.cfg").write_text(block, encoding="utf-8")
    checked = cli("--project", sample.root, "check")
    assert checked.exit_code == 0, checked.output
    assert cli("--project", sample.root, "build").exit_code == 0
    html = (sample.build / "2026-W42" / "email.html").read_text(encoding="utf-8")
    assert "https://viaskincare.com/blog/why-facial-muscles-need-movement?utm_source=newsletter" in html
    assert "%20" not in html and "CAN-SPAM" not in html
    captions = (sample.build / "2026-W42" / "captions.json").read_text(encoding="utf-8")
    assert "#ViaSkincare" in captions and "#The" not in captions


def _readme_settings() -> str:
    return re.search(r"## Settings.*?```ini\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)


def test_the_readme_schedule_staggers_platforms_and_threads_take_no_slot(sample, cli, tmp_path):
    """Pasted as it is, the README's schedule gives X the slot and every other platform its own minute
    after it (Monday 2026-11-23 is the first slot after the suite's clock); threads take no slot."""
    import csv

    (sample.root / "setup.cfg").write_text(_readme_settings(), encoding="utf-8")
    out = tmp_path / "csv"
    result = cli(
        "--project", sample.root, "social", "--format", "buffer", "--out", out, "--start", "2026-11-23"
    )
    assert result.exit_code == 0, result.output
    times = {}
    for path in sorted(out.glob("captions-buffer-*.csv")):
        platform = path.name.removeprefix("captions-buffer-").removesuffix(".America-Los_Angeles.csv")
        with open(path, encoding="utf-8-sig", newline="") as handle:
            times[platform] = [row["Posting Time"] for row in csv.DictReader(handle)]
    assert times["x"][:3] == ["2026-11-23 09:00", "2026-11-25 09:00", "2026-11-27 09:00"]
    assert times["linkedin"][:3] == ["2026-11-23 09:30", "2026-11-25 09:30", "2026-11-27 09:30"]
    firsts = {platform: when[0] for platform, when in times.items()}
    assert firsts == {
        "x": "2026-11-23 09:00", "linkedin": "2026-11-23 09:30", "facebook": "2026-11-23 10:00",
        "instagram": "2026-11-23 10:30", "threads": "2026-11-23 11:00", "bluesky": "2026-11-23 11:30",
        "mastodon": "2026-11-23 12:00", "pinterest": "2026-11-23 12:30",
    }  # fmt: skip
    every = [when for platform in times for when in times[platform]]
    assert len(every) == len(set(every)) == 8 * 6  # no two posts of any platforms share a minute; no threads


def test_a_threads_only_export_is_refused(sample, cli):
    out = sample.root / "csv"
    refused = cli("--project", sample.root, "social", "--kind", "thread", "--format", "buffer", "--out", out)
    assert refused.exit_code == 1
    assert refused.stderr == (
        "--format buffer: schedulers take one post a row, so threads are not exported to them; "
        "choose other --kind values, or --format text or json for threads\n"
    )
    assert not out.exists()


def test_a_url_setting_with_spaces_is_an_error(project, cli):
    from conftest import SETTINGS

    project.settings(
        text=SETTINGS.replace(
            "post_url = {site_url}/blog/{slug}", "post_url = {site_url}/blog/{slug} where articles live"
        )
    )
    result = cli("--project", project.root, "check")
    assert result.exit_code == 1
    assert (
        "post_url: must be a URL without spaces, got '{site_url}/blog/{slug} where articles live'"
        in result.stdout
    )
