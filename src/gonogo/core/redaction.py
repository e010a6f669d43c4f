"""What leaves gonogo, on any channel (console, JSON, JUnit, Allure, HTML, mail, alerts), passes here.

``redact``: URL userinfo (``scheme://user:password@host`` -> ``user:***@``), bearer tokens and JWTs, and every value
resolved from a secret ``${VAR}`` (registered when an environment is read) shown as its placeholder, as written.
``printable``: control characters of text a report or a server supplied, escaped for a terminal (``ESC[2J`` would
clear the screen and paint its own verdict above the real one).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

_USERINFO = re.compile(r"([A-Za-z0-9._~%!$&'()*+,;=-]+):[^@\s/'\"]*@")  # user:password@, with or without a scheme
_SCHEME_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s'\"<>]+)@")  # scheme://anything@
_TOKENS = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+|eyJ[A-Za-z0-9._-]{10,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but newline and tab, DEL, C1

_MIN_SECRET = 4  # shorter values ("1", "yes") would mask ordinary text; no real secret is that short
_secrets: dict[str, str] = {}
_lock = threading.Lock()


def register(value: str, shown: str = "***") -> None:
    """``value`` (a resolved secret) is shown as ``shown`` (its ``${VAR}``) wherever gonogo writes it."""
    if isinstance(value, str) and len(value) >= _MIN_SECRET:
        with _lock:
            _secrets[value] = shown


def mask_userinfo(text: str) -> str:
    """Every ``user:password@`` in ``text`` (a URL with or without its scheme) as ``user:***@``; a scheme's
    userinfo without a password (a token as the user name) as ``***@``."""
    text = _SCHEME_USERINFO.sub(lambda m: m.group(1) + _masked_userinfo(m.group(2)) + "@", text)
    return _USERINFO.sub(r"\1:***@", text)


def _masked_userinfo(userinfo: str) -> str:
    user, colon, _ = userinfo.partition(":")
    return f"{user}:***" if colon else "***"


def redact(text: str) -> str:
    if not text:
        return text
    with _lock:
        known = sorted(_secrets.items(), key=lambda item: -len(item[0]))
    for value, shown in known:
        if value in text:
            text = text.replace(value, shown)
    text = _TOKENS.sub(lambda m: (m.group(1) or "") + "***", text)
    return mask_userinfo(text)


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab written out (``\\x1b``), never acted on."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def for_terminal(text: str) -> str:
    return printable(redact(text))


def tree(value: Any, clean: Callable[[str], str] = redact) -> Any:
    """Every string in a JSON-able value (keys too) passed through ``clean``."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {tree(k, clean): tree(v, clean) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [tree(v, clean) for v in value]
    return value
