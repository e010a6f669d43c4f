"""A read-only MongoDB connection for the database suite, with one clear error per way it can fail."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pymongo import MongoClient
from pymongo.errors import (
    ConfigurationError,
    InvalidURI,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

_CREDENTIALS = re.compile(r"//[^@/]*@")  # the whole userinfo: a MongoDB URL's user name is an account too


class MongoUnavailable(RuntimeError):
    """The database cannot be examined; the message says what, where and how to fix it."""


def redact(url: str) -> str:
    return _CREDENTIALS.sub("//***@", url)


@dataclass
class Server:
    client: MongoClient
    database: str
    version: str
    kind: str  # "mongodb" or "secantusdb" (an embedded wire-protocol server with known differences)
    collections: list[str]

    @property
    def db(self):
        return self.client[self.database]


def connect(url: str, database: str, timeout_s: float = 5.0, required_collections: tuple[str, ...] = ()) -> Server:
    shown = redact(url)
    try:
        client: MongoClient[dict] = MongoClient(
            url,
            serverSelectionTimeoutMS=int(timeout_s * 1000),
            connectTimeoutMS=int(timeout_s * 1000),
            appname="gonogo-db",
            retryWrites=False,
        )
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise MongoUnavailable(
            f"MongoDB URL {shown} is not valid: {exc}. Fix mongo_url in environments.yaml."
        ) from None
    try:
        build = client.admin.command("buildInfo")
        names = client[database].list_collection_names()
        databases = client.list_database_names() if not names else []
    except ServerSelectionTimeoutError as exc:
        client.close()
        raise MongoUnavailable(
            f"MongoDB at {shown} is unreachable within {timeout_s:g} s ({_first_line(exc)}). "
            "Is it running, and does the URL's host:port (and TLS setting) match?"
        ) from None
    except OperationFailure as exc:
        client.close()
        if exc.code in (13, 18):  # Unauthorized, AuthenticationFailed
            raise MongoUnavailable(
                f"MongoDB at {shown} refused the credentials ({exc.code}: {_first_line(exc)}). "
                "Check the user and password behind mongo_url, and its authSource."
            ) from None
        raise MongoUnavailable(f"MongoDB at {shown} refused a read-only command: {_first_line(exc)}") from None
    except PyMongoError as exc:
        client.close()
        raise MongoUnavailable(f"MongoDB at {shown}: {exc.__class__.__name__}: {_first_line(exc)}") from None
    if not names:
        client.close()
        raise MongoUnavailable(
            f"database '{database}' has no collections on {shown} (databases there: "
            f"{', '.join(sorted(databases)) or 'none'}). Check `database` in environments.yaml."
        )
    missing = [c for c in required_collections if c not in names]
    if missing:
        client.close()
        raise MongoUnavailable(
            f"database '{database}' on {shown} has no collection {', '.join(missing)} "
            f"(it has: {', '.join(sorted(names))}). Is this the API's database?"
        )
    kind = "secantusdb" if "secantusVersion" in build else "mongodb"
    return Server(client, database, build.get("secantusVersion") or build.get("version", "?"), kind, sorted(names))


def _first_line(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0][:300]
