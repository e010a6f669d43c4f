"""Reference implementation of ../shared/API-CONTRACT.md: the embedded default target."""

__version__ = "1.0.0"
