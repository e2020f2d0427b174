"""Our X count against the official twitter-text library (npm, pinned in tools/twitter-text):
every part of every sample caption, whatever platform it was written for, counts the same."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import REPO, require

from newsletter.social.counting import count_x

TOOL = REPO / "tools/twitter-text"
# Beyond the sample: what our counter special-cases (weights by range, bare domains, emoji sequences,
# NFC). Emoji newer than twitter-text 3.1.0's data (🏳️‍⚧️) are left out: it over-counts them.
EXTRA = [
    "Glow ✨ and 👍🏽 and 🇺🇸 and 1️⃣ and 👩‍👩‍👧‍👦",
    "日本語のテキスト • … → ✓",
    "e\u0301 café — “quotes” ‘single’",
    "viaskincare.com and example.org/path?x=1 and https://viaskincare.com/blog/a-long-path?utm_source=x",
    "#SkinCare @studio Dr. Who",
    "a\u2032b\u2037c\u2038",
]


def _official(texts: list[str]) -> list[int]:
    node = require("node", "apt-get install nodejs (CI installs it)")
    require(str(TOOL / "node_modules/twitter-text"), "npm ci --prefix tools/twitter-text")
    out = subprocess.run([node, str(TOOL / "count.js")], input=json.dumps(texts), capture_output=True,
                         text=True, check=True, timeout=60)  # fmt: skip
    return json.loads(out.stdout)


@pytest.mark.slow  # node and the official library: the real-tool proof of test_counting's X table
def test_official_twitter_text_agrees_with_our_x_count(sample, cli):
    result = cli("--project", sample.root, "social", "--format", "json")
    assert result.exit_code == 0, result.output
    captions = json.loads(result.stdout)
    texts = [part for c in captions for part in (c.get("parts") or [c["text"]])]
    platforms = [c["platform"] for c in captions for _ in (c.get("parts") or [c["text"]])]
    texts += EXTRA
    official = _official(texts)  # one node run for every text
    ours = [count_x(t) for t in texts]
    disagree = [(t, o, w) for t, o, w in zip(texts, official, ours, strict=True) if o != w]
    assert not disagree, disagree[:3]
    made = zip(official[: len(platforms)], platforms, strict=True)  # the captions' parts, EXTRA aside
    x_parts = [count for count, platform in made if platform == "x"]
    assert x_parts and max(x_parts) <= 280  # what the official library counts of the X posts
