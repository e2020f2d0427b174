"""The preview's watcher: one rebuild per burst of saves in the project's sources."""

from __future__ import annotations

import threading
from pathlib import Path

from newsletter.preview.state import Preview

# How long watchfiles waits for the next change before it reports a burst, in ms. 50 ms made a save
# wait about 100 ms before its rebuild began; at 20 ms an editor's burst of writes may now and then be
# two rebuilds, the second one right after the first (changes during a rebuild are kept). A module
# value so that a test can widen it: on a loaded machine a burst written in a loop can span 20 ms.
QUIET_MS = 20


def watch(preview: Preview, stop: threading.Event) -> None:
    """Rebuild once per burst of saves in posts/, issues/, templates/ or setup.cfg."""
    import watchfiles

    root = preview.root

    def relevant(change, path: str) -> bool:
        snap = preview.snapshot
        settings = snap.settings
        posts = settings.posts_dir if settings else root / "posts"
        templates = settings.templates_dir if settings else root / "templates"
        target = Path(path)
        return (
            target == root / "setup.cfg"
            or target.is_relative_to(posts)
            or target.is_relative_to(templates)
            or target.is_relative_to(root / "issues")
        )

    for _ in watchfiles.watch(root, watch_filter=relevant, step=QUIET_MS, debounce=1600, stop_event=stop):
        preview.rebuild()
