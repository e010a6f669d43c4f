"""The shared vocabulary of environments.yaml's settings: strict models, durations and sizes with their units, URLs
(their passwords masked in every message), mail addresses, webhook URLs, empty `${VAR:-}` values read as not set."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SecretStr,
)

from gonogo.config.errors import (
    mask_userinfo,
)
from gonogo.core.units import Dimension, UnitError, parse_quantity


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def to_seconds(value: str | float) -> float:
    try:
        return parse_quantity(value, Dimension.DURATION).value
    except UnitError as exc:
        raise ValueError(str(exc)) from None


#: A duration written with its unit ("60 s", "5 min"), held in seconds.
Seconds = Annotated[float, BeforeValidator(to_seconds)]


def to_bytes(value: str | float) -> float:
    try:
        return parse_quantity(value, Dimension.BYTES).value
    except UnitError as exc:
        raise ValueError(str(exc)) from None


def none_if_empty(value: object) -> object:
    return None if value == "" else value


def without_empty(value: object) -> object:
    return [x for x in value if x != ""] if isinstance(value, list) else value


#: `${VAR:-}` left empty means "not configured": an empty text is None, an empty list entry is dropped
OptionalText = Annotated[str | None, BeforeValidator(none_if_empty)]


TextList = Annotated[list[str], BeforeValidator(without_empty)]


def masked_url(value: str) -> str:
    """``value`` with everything between ``://`` and its last ``@`` but the user name as ``***``: a password with an
    unencoded ``#``, ``/`` or ``@`` in it breaks the URL's own parsing, so it is masked before anything else reads
    it."""
    scheme, sep, rest = value.partition("://")
    if not sep or "@" not in rest:
        return mask_userinfo(value)
    userinfo, host = rest.rsplit("@", 1)
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def http_url(value: str) -> str:
    """An http(s) URL a run can reach: a host, a port in 1-65535 if given, no spaces; its password never echoed."""
    if value != value.strip():
        raise ValueError(f"'{masked_url(value.strip())}' has spaces around it: remove them")
    bad = f"'{masked_url(value)}' is not an http(s) URL like https://host:port"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError(bad)
    encode = "a password with '/', '?', '#' or '@' in it must be percent-encoded (%2F, %3F, %23, %40)"
    after_colon = parts.netloc.rpartition(":")[2] if ":" in parts.netloc else ""
    if "@" not in parts.netloc and "@" in value.partition("://")[2] and after_colon and not after_colon.isdigit():
        raise ValueError(f"{bad}: {encode}")  # the URL's own parser would take the password's tail as host or port
    try:
        port = parts.port
    except ValueError:  # urllib's message would quote the text after the last ':', the password included
        raise ValueError(
            f"{bad}: its port must be a number from 1 to 65535" + (f" ({encode})" if "@" in value else "")
        ) from None
    if port == 0:
        raise ValueError(f"{bad}: its port must be a number from 1 to 65535")
    if not parts.hostname:
        raise ValueError(f"{bad}: it names no host")
    return value


HttpUrl = Annotated[str, AfterValidator(http_url)]


OptionalUrl = Annotated[HttpUrl | None, BeforeValidator(none_if_empty)]


UrlList = Annotated[list[HttpUrl], BeforeValidator(without_empty)]


def exactly_one_of(model, keys: tuple[str, ...], what: str):
    given = [k for k in keys if getattr(model, k)]
    if len(given) != 1:
        raise ValueError(f"{what} needs exactly one of {', '.join(keys)} (found: {', '.join(given) or 'none'})")
    return model


AlertSeverity = Literal["info", "warning", "critical"]


def mail_address(value: str) -> str:
    """One e-mail address: a header line breaks at CR or LF (a recipient carrying one would end the watch at its
    first alert, or add headers of its own)."""
    if any(c in value for c in "\r\n,;<>") or any(ord(c) < 32 for c in value):
        raise ValueError(f"{value!r} is not one e-mail address: no line breaks, commas, semicolons or angle brackets")
    name, at, domain = value.strip().rpartition("@")
    if not at or not name or "." not in domain or " " in value.strip():
        raise ValueError(f"{value!r} is not an e-mail address like oncall@example.com")
    return value.strip()


def webhook_url(value: SecretStr) -> SecretStr:
    """An http(s) URL (Slack's, or any JSON webhook): never file:// or a bare host; the URL itself is not echoed."""
    parts = urlsplit(value.get_secret_value())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "the webhook must be an http(s) URL like https://hooks.slack.com/services/... (found "
            f"{'a ' + parts.scheme + ':// URL' if parts.scheme else 'a text without a scheme'}; not echoed: a secret)"
        )
    return value


MailAddress = Annotated[str, AfterValidator(mail_address)]
