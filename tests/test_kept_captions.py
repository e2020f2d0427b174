"""The captions a build keeps (build/.newsletter-captions/, a file per post): `social` and the next build
take them instead of making them again, and never where they would say something else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsletter.run.store import CAPTIONS

# Each way of exporting: the whole JSON, the text report, and a filtered text whose platforms and kinds
# are asked in an order of their own (captions come in the order asked).
FORMATS = (
    ("--format", "json"),
    ("--format", "text"),
    ("--format", "text", "--platform", "bluesky", "--platform", "x", "--kind", "thread", "--kind", "teaser"),
)


def _social(cli, root: Path, *args: str) -> str:
    result = cli("--project", root, "social", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _exports(cli, root: Path) -> list[str]:
    return [_social(cli, root, *args) for args in FORMATS]


def _captioned(monkeypatch) -> list[str]:
    """The slugs captioned in this process from now on (social's pool runs here: one worker)."""
    from newsletter.social import captions, outputs

    made: list[str] = []
    real = captions.of_articles

    def of_articles(bases, *args, **kwargs):
        made.extend(b.post.slug for b in bases)
        return real(bases, *args, **kwargs)

    monkeypatch.setattr(captions, "of_articles", of_articles)  # social's
    monkeypatch.setattr(outputs, "of_articles", of_articles)  # the build's
    return made


def _parsed(monkeypatch) -> list[str]:
    from newsletter.content import posts

    parsed: list[str] = []
    real = posts.parse
    monkeypatch.setattr(posts, "parse", lambda source, *a: parsed.append(source.source) or real(source, *a))
    return parsed


def test_social_after_a_build_parses_and_captions_nothing_and_says_the_same(sample, cli, monkeypatch):
    cold = _exports(cli, sample.root)  # no build/ yet: every post parsed and captioned
    assert cli("--project", sample.root, "build").exit_code == 0
    kept = sorted((sample.build / CAPTIONS).iterdir())
    assert len(kept) == len(list(sample.posts.glob("*.md")))  # one file per post of the issue
    made, parsed = _captioned(monkeypatch), _parsed(monkeypatch)
    assert _exports(cli, sample.root) == cold
    assert made == [] and parsed == []


def test_an_edited_post_is_captioned_again_and_only_it(sample, cli, monkeypatch):
    assert cli("--project", sample.root, "build").exit_code == 0
    post = sorted(sample.posts.glob("*.md"))[0]
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("\ntitle: ", "\ntitle: Edited ", 1), encoding="utf-8")
    made = _captioned(monkeypatch)
    warm = _social(cli, sample.root, "--format", "json")
    assert "Edited " in warm
    assert len(made) == 1  # the edited post; the other's captions came from build/
    shutil.rmtree(sample.build)
    assert warm == _social(cli, sample.root, "--format", "json")  # what a run without build/ says


def test_the_next_build_captions_only_the_edited_post_of_an_issue(sample, cli, monkeypatch):
    assert cli("--project", sample.root, "build").exit_code == 0
    post = sorted(sample.posts.glob("*.md"))[0]
    post.write_text(post.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Edited ", 1), "utf-8")
    made = _captioned(monkeypatch)
    assert cli("--project", sample.root, "build").exit_code == 0
    assert len(made) == 1
    warm = sample.outputs()
    assert cli("--project", sample.root, "build", "--no-cache", "--out", sample.root / "cold").exit_code == 0
    assert sample.outputs(sample.root / "cold") == warm
    # the edited post's old captions left build/: one file per post, each still of use
    assert len(list((sample.build / CAPTIONS).iterdir())) == len(list(sample.posts.glob("*.md")))


def test_a_change_of_template_is_never_answered_from_kept_captions(sample, cli):
    assert cli("--project", sample.root, "build").exit_code == 0
    template = sample.own_template("social/teaser.txt")
    template.write_text("Changed teaser: " + template.read_text(encoding="utf-8"), encoding="utf-8")
    assert "Changed teaser: " in _social(cli, sample.root, "--format", "json")


def _same_size(old: bytes, new: bytes):
    return lambda data: data.replace(old, new, 1)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: b"{}\n",
        lambda data: b"not json",
        lambda data: data.replace(b'"sizes": [', b'"sizes": [1, ', 1),  # sizes that do not add up
        lambda data: data.replace(b'"text": "', b'"text": 7, "x": "', 1),  # an item that is no caption
        _same_size(b'"platform": "x"', b'"platform": "y"'),  # not what its head says
        _same_size(b'["x", "teaser"]', b'["y", "teaser"]'),  # a head that is not what its item says
        _same_size(b'"platform":', b'Xplatform":'),  # no longer JSON, sizes unchanged
        _same_size("—".encode(), b"\xff\xfe\xfd"),  # no longer UTF-8, sizes unchanged
        lambda data: data.replace(b'"post": "', b'"post": "other-', 1),  # another post's caption
    ],
    ids=[
        "cut",
        "empty",
        "not-json",
        "sizes",
        "no-caption",
        "other-head",
        "other-item",
        "broken-json",
        "not-utf8",
        "other-post",
    ],
)
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_kept_file_of_another_shape_is_made_again(sample, cli, damage, fmt):
    asked = ("--format", fmt, "--platform", "x", "--platform", "bluesky")
    cold = _social(cli, sample.root, *asked)
    assert cli("--project", sample.root, "build").exit_code == 0
    kept = list((sample.build / CAPTIONS).iterdir())
    assert kept
    for path in kept:
        data = path.read_bytes()
        assert damage(data) != data  # the damage applies to every kept file
        path.write_bytes(damage(data))
    assert _social(cli, sample.root, *asked) == cold
    assert cli("--project", sample.root, "build", "--week", "2026-W42").exit_code == 0


def test_another_posts_kept_file_is_not_taken_for_this_one(sample, cli):
    cold = _social(cli, sample.root, "--format", "json")
    assert cli("--project", sample.root, "build").exit_code == 0
    first, second = sorted((sample.build / CAPTIONS).iterdir())
    second.write_bytes(first.read_bytes())
    assert _social(cli, sample.root, "--format", "json") == cold


def test_a_renamed_or_copied_post_gets_captions_of_its_own(sample, cli):
    """Two posts of the same bytes, and a post renamed (its slug comes from its file name)."""
    assert cli("--project", sample.root, "build").exit_code == 0
    post = sorted(sample.posts.glob("*.md"))[0]
    shutil.copy(post, post.with_name(post.name[:11] + "a-copy-of-it.md"))
    post.rename(post.with_name(post.name[:11] + "renamed-post.md"))
    warm = _social(cli, sample.root, "--format", "json")
    assert cli("--project", sample.root, "build").exit_code == 0
    built = (sample.build / "2026-W42" / "email.html").read_text(encoding="utf-8")
    assert "/blog/renamed-post" in built and "/blog/a-copy-of-it" in built  # the issue was made again
    again = _social(cli, sample.root, "--format", "json")
    shutil.rmtree(sample.build)
    cold = _social(cli, sample.root, "--format", "json")
    assert warm == again == cold
    assert '"post": "renamed-post"' in cold and '"post": "a-copy-of-it"' in cold


def test_a_platform_or_kind_asked_twice_is_exported_once(sample, cli):
    once = _social(cli, sample.root, "--platform", "x", "--platform", "bluesky", "--kind", "teaser")
    twice = ("--platform", "x", "--platform", "bluesky", "--platform", "x", "--kind", "teaser", "--kind",
             "teaser")  # fmt: skip
    assert _social(cli, sample.root, *twice) == once
    assert cli("--project", sample.root, "build").exit_code == 0
    assert _social(cli, sample.root, *twice) == once


def test_a_fifo_among_the_kept_files_blocks_nothing(sample, cli):
    import os
    import subprocess
    import sys

    assert cli("--project", sample.root, "build").exit_code == 0
    cold = _social(cli, sample.root, "--format", "text")
    for path in (sample.build / CAPTIONS).iterdir():
        path.unlink()
        os.mkfifo(path)
    manifest = sample.build / ".newsletter-cache.json"
    manifest.unlink()
    os.mkfifo(manifest)  # the manifest too: read only as a regular file
    done = subprocess.run([sys.executable, "-m", "newsletter", "--project", sample.root, "social"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == cold


def test_a_manifest_that_is_a_link_is_not_read(sample, cli, tmp_path):
    args = ("--format", "buffer", "--out", tmp_path / "exports", "--start", "2027-01-04")
    _social(cli, sample.root, *args)
    cold = {p.name: p.read_bytes() for p in (tmp_path / "exports").iterdir()}
    assert cli("--project", sample.root, "build").exit_code == 0
    manifest = sample.build / ".newsletter-cache.json"
    planted = tmp_path / "planted.json"
    planted.write_text(
        manifest.read_text(encoding="utf-8").replace('"published":"2026-10-', '"published":"2027-02-')
    )
    manifest.unlink()
    manifest.symlink_to(planted)
    shutil.rmtree(tmp_path / "exports")
    _social(cli, sample.root, *args)
    assert {p.name: p.read_bytes() for p in (tmp_path / "exports").iterdir()} == cold


def test_captions_that_depend_on_the_machines_fonts_are_not_kept(sample, cli):
    """A card's alt text leaves out what no installed font draws: such an article is captioned by every
    run (a font installed since would change it); the others are kept."""
    sample.post(
        "2026-10-15-kanji.md",
        """\
        ---
        title: 指圧の基本
        date: 2026-10-15
        ---

        A short note on shiatsu pressure, with a title in Japanese.
        """,
    )
    assert cli("--project", sample.root, "build").exit_code == 0
    kept = list((sample.build / CAPTIONS).iterdir())
    assert len(kept) == len(list(sample.posts.glob("*.md"))) - 1
    assert not any(b'"post": "kanji"' in p.read_bytes() for p in kept)
    assert '"post": "kanji"' in _social(cli, sample.root, "--format", "json")


def test_kept_captions_never_go_through_a_link(sample, cli, tmp_path):
    assert cli("--project", sample.root, "build").exit_code == 0
    folder = sample.build / CAPTIONS
    planted = tmp_path / "elsewhere"
    shutil.copytree(folder, planted)
    for path in planted.iterdir():  # what reading through the link would export
        path.write_bytes(path.read_bytes().replace(b"Read more", b"Planted"))
    shutil.rmtree(folder)
    folder.symlink_to(planted, target_is_directory=True)
    assert "Planted" not in _social(cli, sample.root, "--format", "text")
    listing = sorted(p.name for p in planted.iterdir())
    assert cli("--project", sample.root, "build", "--no-cache").exit_code == 0
    assert sorted(p.name for p in planted.iterdir()) == listing  # nothing written or removed through it
    assert folder.is_symlink()


@pytest.mark.slow
def test_captions_do_not_depend_on_the_hash_seed(sample):
    """Sentences whose scores tie (a sum over a set of words) came out in an order the hash seed chose:
    two runs of the same inputs wrote different quotes, and a build kept one of them."""
    import os
    import subprocess
    import sys

    from conftest import REPO

    shutil.copy(REPO / "tests/fixtures/determinism/2026-10-15-creme-routine.md", sample.posts)
    said = set()
    for seed in ("1", "7", "11", "23"):
        done = subprocess.run(
            [sys.executable, "-m", "newsletter", "--project", sample.root, "social", "creme-routine",
             "--platform", "x", "--kind", "quote"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        said.add(done.stdout)
    assert len(said) == 1


def test_latin_letters_the_shipped_fonts_draw_are_kept(sample, cli):
    sample.post(
        "2026-10-15-dvorak.md",
        """\
        ---
        title: Dvořák and the Łódź Skin Routine
        date: 2026-10-15
        ---

        A short routine named after a composer and a city, for mornings with little time.
        """,
    )
    assert cli("--project", sample.root, "build").exit_code == 0
    kept = list((sample.build / CAPTIONS).iterdir())
    assert any(b'"post": "dvorak"' in p.read_bytes() for p in kept)


def test_a_card_reused_from_the_last_build_is_never_read_through_a_link(sample, cli, tmp_path):
    """Even when the folder's stamp is made to match (its mtime put back), a card that became a link is
    not taken: the card is drawn again."""
    import os

    assert cli("--project", sample.root, "build").exit_code == 0
    cards = sample.build / "2026-W42" / "cards"
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not a card of ours")
    first, second = sorted(sample.posts.glob("*.md"))
    slug = first.stem[11:]
    card = next(cards.glob(f"{slug}-title-1200x630.png"))
    drawn = card.read_bytes()
    info = cards.stat()
    card.unlink()
    card.symlink_to(secret)
    os.utime(cards, ns=(info.st_atime_ns, info.st_mtime_ns))
    second.write_text(second.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Edited ", 1), "utf-8")
    assert cli("--project", sample.root, "build").exit_code == 0
    assert not card.is_symlink() and card.read_bytes() == drawn


def test_a_manifest_that_is_a_link_is_replaced_not_written_through(sample, cli, tmp_path):
    assert cli("--project", sample.root, "build").exit_code == 0
    manifest = sample.build / ".newsletter-cache.json"
    copy = tmp_path / "copy.json"
    copy.write_bytes(manifest.read_bytes())
    manifest.unlink()
    manifest.symlink_to(copy)
    before = copy.read_bytes()
    assert cli("--project", sample.root, "build").exit_code == 0
    assert not manifest.is_symlink() and copy.read_bytes() == before
    assert " 0 written" in cli("--project", sample.root, "build").stdout  # the next build is a no-op


def test_a_build_with_nothing_to_render_reports_the_templates_warnings_too(sample, cli, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.txt"  # the sample's root is tmp_path
    outside.write_text("x", encoding="utf-8")
    (sample.root / "templates" / "social").mkdir(parents=True)
    (sample.root / "templates" / "social" / "teaser.txt").symlink_to(outside)
    first = cli("--project", sample.root, "build")
    again = cli("--project", sample.root, "build")
    assert " 0 written" in again.stdout
    assert "symbolic link" in first.stderr and first.stderr == again.stderr
    strict = [
        cli("--project", sample.root, "build", "--strict", *extra).exit_code
        for extra in ((), ("--no-cache",))
    ]
    assert strict == [1, 1]


def test_another_version_of_the_code_or_its_libraries_captions_again(sample, cli, monkeypatch):
    """The key covers the tool's source and the installed libraries (store.code_digest): what another
    version of either kept is never taken."""
    from newsletter.run import store

    assert cli("--project", sample.root, "build").exit_code == 0
    made = _captioned(monkeypatch)
    _social(cli, sample.root, "--format", "json")
    assert made == []
    monkeypatch.setattr(store, "code_digest", lambda: "another version")
    _social(cli, sample.root, "--format", "json")
    assert len(made) == len(list(sample.posts.glob("*.md")))


def test_a_kept_file_that_cannot_be_written_leaves_the_build_whole(sample, cli, monkeypatch):
    from newsletter.run import writer

    def full_disk(target, data):
        if writer.CAPTIONS in target.parts:
            raise OSError(28, "No space left on device")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    monkeypatch.setattr(writer, "_write_file", full_disk)
    result = cli("--project", sample.root, "build")
    assert result.exit_code == 0, result.output
    assert (sample.build / "2026-W42" / "email.html").is_file()
    assert not (sample.build / CAPTIONS).exists() or not any((sample.build / CAPTIONS).iterdir())
