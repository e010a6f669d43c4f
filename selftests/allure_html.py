"""Allure HTML built with Allure's own CLI (scripts/allure-report.sh) and rendered by headless Chromium."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000", "--virtual-time-budget=8000"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def generate(results: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(REPO / "scripts" / "allure-report.sh"), str(results), str(out)],
                          capture_output=True, text=True, timeout=600)


class Served:
    """The HTML over http on loopback (Allure's page fetches its data; file:// would not load it)."""

    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_Quiet, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> Served:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=180)


def dom(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran."""
    return _chromium(["--dump-dom", url], profile).stdout


def text(html: str) -> str:
    """What a reader sees: the DOM without scripts, styles and tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def leaf_groups(node: dict, path: tuple[str, ...] = ()):
    """(uid path of a group, its first test case uid) for every group of the suites tree whose children are cases."""
    cases = [c for c in node.get("children", []) if "children" not in c]
    if cases and path:
        yield path, cases[0]["uid"]
    for child in node.get("children", []):
        if "children" in child:
            yield from leaf_groups(child, (*path, child["uid"]))


def screenshot(url: str, png: Path, profile: Path) -> subprocess.CompletedProcess:
    return _chromium([f"--screenshot={png}", url], profile)
