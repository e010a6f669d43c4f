"""Uploads (API contract, S1, S4): size and type limits, client file names never become paths, downloads
served as attachments with nosniff. Every file created is tagged with the run id and deleted."""

from __future__ import annotations

import pytest

from gonogo.suite.security import file_storage

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S4")

LIMIT = 10 * 1024 * 1024  # the contract's default size limit
HOSTILE_NAMES = [
    "../../../../etc/passwd.csv",
    "..\\..\\windows\\win.ini.csv",
    "/etc/shadow.csv",
    "a/../../b.csv",
    "x.csv\x00.exe",
    "evil\r\nX-Injected: 1.csv",
    "\u202etxt.exe.csv",
    "%2e%2e%2fescape.csv",
]


@pytest.fixture
def uploader(security, writes, created):
    """``upload(name, data, type, index)``; every file created is deleted afterwards (admin token)."""

    def upload(name: str, data: bytes, content_type: str = "text/csv", index: int = 0):
        resp = security.post(
            "/api/files/upload", role="evaluator", index=index, files={"file": (name, data, content_type)}
        )
        if resp.status_code == 201:
            created.add("files", resp.json()["id"], role="admin")
        return resp

    return upload


@pytest.mark.gonogo_accounts("upload limits", "evaluator")
def test_size_and_type_limits(uploader, checks, tag, account):
    with checks.source("uploads") as src:
        uploads = account("upload limits").index
        too_big = uploader(f"{tag}.csv", b"a" * (LIMIT + 1), index=uploads)
        src.check(
            "upload.size_limit",
            too_big.status_code == 413,
            f"POST /api/files/upload of {LIMIT + 1} bytes -> {too_big.status_code}, needs 413",
            "S4",
            "medium",
        )
        for name, content_type in (
            (f"{tag}.exe", "application/x-msdownload"),
            (f"{tag}.html", "text/html"),
            (f"{tag}.svg", "image/svg+xml"),
        ):
            resp = uploader(name, b"MZ<script>alert(1)</script>", content_type, index=uploads)
            src.check(
                f"upload.type_refused ({content_type})",
                resp.status_code == 415,
                f"upload of {content_type} -> {resp.status_code}, needs 415 (outside the allow-list)",
                "S4",
                "high",
            )


@pytest.mark.gonogo_accounts("hostile file names", "evaluator", count=2)  # 10 uploads/minute per user: half each
def test_client_file_names_never_become_paths_and_downloads_are_attachments(security, uploader, checks, tag, account):
    with checks.source("uploads-names") as src:
        evaluators = account("hostile file names").indexes
        for number, name in enumerate(HOSTILE_NAMES):
            body = f"{tag},{number}\n".encode()
            uploads = evaluators[0] if number < 4 else evaluators[1]
            resp = uploader(name, body, index=uploads)
            if resp.status_code >= 500 or resp.status_code != 201:
                src.check(
                    f"upload.name ({name!r})",
                    400 <= resp.status_code < 500,
                    f"upload named {name!r} -> {resp.status_code}, needs 201 with a safe name or a 4xx",
                    "S4",
                    "high",
                )
                continue
            stored = resp.json()
            shown = stored.get("filename", "")
            src.check(
                f"upload.name ({name!r})",
                not any(bad in shown for bad in ("/", "\\", "\x00", "\r", "\n")),
                f"upload named {name!r} is kept as {shown!r} (plan: no path separators or control characters)",
                "S4",
                "high",
            )
            download = security.get(f"/api/files/{stored['id']}/content", role="evaluator", index=uploads)
            disposition = download.headers.get("content-disposition", "")
            src.check(
                f"download.attachment ({name!r})",
                download.status_code == 200
                and download.content == body
                and disposition.startswith("attachment")
                and "\r" not in disposition
                and "\n" not in disposition
                and "x-injected" not in {k.lower() for k in download.headers},
                f"download of {name!r} -> {download.status_code}, Content-Disposition {disposition!r}, "
                f"{'same' if download.content == body else 'different'} bytes",
                "S4",
                "high",
            )
            src.check(
                f"download.nosniff ({name!r})",
                download.headers.get("x-content-type-options") == "nosniff",
                f"download of {name!r}: X-Content-Type-Options {download.headers.get('x-content-type-options')!r} "
                f"(plan: nosniff)",
                "S1",
                "medium",
            )


# names whose every form (as sent, URL-encoded, with the directories cut) keeps a mark only this run sends
STORED_NAMES = ["../../../../tmp/{mark}-passwd.csv", "..\\..\\{mark}-win.csv", "{mark}/../../escape.csv"]


@pytest.mark.gonogo_accounts("stored names", "evaluator")
def test_stored_keys_never_come_from_the_clients_names(gonogo_env, uploader, checks, tag, account, say):
    """The bucket's keys are read while the run's uploads are there: none holds a name a client sent."""
    storage = gonogo_env.s3
    checks.needs(storage.bucket, "files-keys", "S4", "s3.bucket")
    mine = account("stored names").index
    marks = {}
    for number, pattern in enumerate(STORED_NAMES):
        mark = f"{tag}-{number}"
        name = pattern.format(mark=mark)
        resp = uploader(name, f"{tag},{number}\n".encode(), index=mine)
        if resp.status_code == 201:  # a name refused (4xx) is not stored at all
            marks[mark] = name

    def read():
        s3, _ = file_storage.clients(storage, gonogo_env.aws.credentials_file)
        return [file_storage.client_names_rule(s3, storage.bucket, storage.max_objects, marks)]

    checks.rules("files-keys", "S4", read, say)
