"""Generate a realistic synthetic project: N posts (five a week) with lists, images, links and emoji.

python tests/benchmarks/generate.py DIR --posts 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORDS = [
    "facial",
    "massage",
    "fascia",
    "lymph",
    "circulation",
    "collagen",
    "elastin",
    "tissue",
    "skin",
    "glow",
    "calm",
    "tension",
    "release",
    "oxygen",
    "renewal",
    "barrier",
    "moisture",
    "ritual",
    "hands",
    "pressure",
    "rhythm",
    "breath",
    "muscle",
    "contour",
    "brightness",
]
EMOJI = ["✨", "🌿", "💆‍♀️", "👩🏽‍⚕️", "🧖", "🇫🇷"]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "!", "?"])


def post(rng: random.Random, n: int, day: dt.date) -> str:
    title = f"{sentence(rng, 5)[:-1].title()} {n}"
    paragraphs = []
    for section in range(rng.randint(3, 6)):
        paragraphs.append(f"## Section {section + 1}: {sentence(rng, 4)[:-1]}")
        for _ in range(rng.randint(2, 4)):
            body = " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 5)))
            if rng.random() < 0.3:
                body += f" Read [our guide](https://viaskincare.com/blog/post-{rng.randint(0, n)}) {rng.choice(EMOJI)}."
            paragraphs.append(body)
        if rng.random() < 0.3:
            paragraphs.append(f"![{sentence(rng, 3)[:-1]}](https://viaskincare.com/img/{n}-{section}.jpg)")
    items = "\n".join(f"- {sentence(rng, rng.randint(4, 9))}" for _ in range(rng.randint(3, 6)))
    paragraphs.insert(2, f"Regular care brings:\n\n{items}")
    summary = sentence(rng, rng.randint(12, 24))
    return (
        f'---\ntitle: "{title}"\ndate: {day.isoformat()}\nsummary: "{summary}"\n'
        f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)} {rng.choice(WORDS)}]\n"
        f"cta: {{text: Book a session, url: https://viaskincare.com/book}}\n---\n\n"
        + "\n\n".join(paragraphs)
        + "\n"
    )


def generate(folder: Path, posts: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "posts").mkdir(parents=True)
    shutil.copytree(REPO / "newsletter" / "templates", folder / "templates")
    settings = (REPO / "setup.cfg").read_text(encoding="utf-8").split("[newsletter]", 1)[1]
    (folder / "setup.cfg").write_text("[newsletter]" + settings, encoding="utf-8")
    start = dt.date(2022, 1, 3)
    for n in range(posts):
        day = start + dt.timedelta(days=(n // 5) * 7 + n % 5)
        (folder / "posts" / f"{day.isoformat()}-post-{n}.md").write_text(post(rng, n, day), encoding="utf-8")
    return folder


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--posts", type=int, default=1000)
    args = parser.parse_args()
    print(generate(args.folder, args.posts))
