"""The README's settings block is what a new user copies: pasted into setup.cfg, it must just work."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_settings_block_pasted_into_setup_cfg_builds_clean_links(sample, cli):
    block = re.search(r"## Settings.*?```ini\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
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


def test_threads_take_no_scheduler_slot_and_a_threads_only_export_is_refused(sample, cli, tmp_path):
    import csv

    out = tmp_path / "csv"
    assert (
        cli(
            "--project", sample.root, "social", "--format", "buffer", "--out", out, "--start", "2026-11-23"
        ).exit_code
        == 0
    )
    with open(out / "captions-buffer-x.csv", encoding="utf-8-sig") as handle:
        x_times = [row["Posting Time"] for row in csv.DictReader(handle)]
    with open(out / "captions-buffer-linkedin.csv", encoding="utf-8-sig") as handle:
        linkedin_times = [row["Posting Time"] for row in csv.DictReader(handle)]
    assert x_times[:3] == linkedin_times[:3] == ["2026-11-23 09:00", "2026-11-25 09:00", "2026-11-27 09:00"]
    refused = cli("--project", sample.root, "social", "--kind", "thread", "--format", "buffer", "--out", out)
    assert refused.exit_code == 1
    assert refused.stderr == (
        "--format buffer: schedulers take one post a row, so threads are not exported to them; "
        "choose other --kind values, or --format text or json for threads\n"
    )


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
