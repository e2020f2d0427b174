"""newsletter: article Markdown in, send-ready email issues and social captions out."""

__version__ = "0.1.0"
