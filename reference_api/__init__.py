"""Reference implementation of docs/spec/API-CONTRACT.md: the embedded default target."""

import os

# The release this process is: the local box runs blue as 1.0.0 and green as the next (API_VERSION).
__version__ = os.environ.get("API_VERSION") or "1.0.0"
