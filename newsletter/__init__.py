"""newsletter: article Markdown in, send-ready email issues and social captions out."""

__version__ = "0.1.0"

import logging

# A library logs; the command line decides what to show. No handler here means no stray stderr lines.
logging.getLogger("newsletter").addHandler(logging.NullHandler())
