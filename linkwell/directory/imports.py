"""Directory imports from the web: a manager uploads an HSDS file (or names an Open Referral
feed), a background task imports it, and the page shows its progress and its report."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from linkwell.core.audit import log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, require
from linkwell.directory.importer import ImportSourceError, import_directory
from linkwell.directory.models import DirectoryImport

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024  # what a zipped data package may unpack to
MAX_ZIP_MEMBERS = 1000
ISSUES_KEPT = 200  # errors and warnings kept for the page; the counts are always complete


@transaction.atomic
def directory_import_start(
    *, membership: Membership, upload=None, url: str = ""
) -> DirectoryImport:
    """Check what the manager gave, store it, and queue the import."""
    from linkwell.directory.tasks import run_directory_import

    require(membership, Perm.DIRECTORY_MANAGE)
    url = url.strip()
    if bool(upload) == bool(url):
        raise ApplicationError(
            "directory_import.source",
            "Upload a file or give a feed address, not both.",
            fields={"upload": ["Upload a file or give a feed address"]},
        )
    if upload is not None:
        name = upload.name.lower()
        if not name.endswith((".json", ".zip")):
            raise ApplicationError(
                "directory_import.file_type",
                "Upload an HSDS JSON file (.json) or a zipped data package of CSV files (.zip).",
                fields={"upload": ["The file must be a .json or .zip file"]},
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise ApplicationError(
                "directory_import.too_big",
                "The file is larger than 200 MB.",
                fields={"upload": ["The file must be smaller than 200 MB"]},
            )
    if url:
        _check_public_address(url)
    job = DirectoryImport(
        scheme_id=membership.scheme_id,
        started_by_id=membership.user_id,
        source_url=url,
        source_label=upload.name if upload is not None else url,
    )
    if upload is not None:
        job.upload.save(upload.name, upload, save=False)
    job.full_clean()
    job.save()
    log_action(
        membership.user,
        "directory.import_started",
        job,
        {"source": job.source_label},
        scheme=membership.scheme,
    )
    run_directory_import.enqueue(str(job.pk))
    return job


def _check_public_address(url: str) -> None:
    """A feed named on the web page must be on the public internet: the server will not fetch
    its own network's addresses for a user (the command line, run by operators, may)."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        raise ApplicationError(
            "directory_import.unknown_host",
            f"There is no server called {host or url!r}.",
            fields={"url": ["Check the feed address"]},
        ) from None
    if not addresses or not all(ipaddress.ip_address(a).is_global for a in addresses):
        raise ApplicationError(
            "directory_import.private_address",
            "That address is not on the public internet.",
            fields={"url": ["Give the public address of the feed"]},
        )


def _unpacked(path: Path, workdir: Path) -> Path:
    """A zipped data package, unpacked safely: the folder holding its datapackage.json."""
    root = workdir.resolve()
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ImportSourceError("The file is not a zip file that can be opened.") from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ImportSourceError(f"The zip file has more than {MAX_ZIP_MEMBERS} files in it.")
        # The reader stops at each member's declared size, so the declared sizes bound it.
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ImportSourceError("The zip file unpacks to more than 2 GB.")
        for member in members:
            if not (root / member.filename).resolve().is_relative_to(root):
                raise ImportSourceError(f"The zip file has an unsafe path in it: {member.filename}")
        archive.extractall(root)
    found = sorted(root.rglob("datapackage.json"), key=lambda p: len(p.parts))
    if not found:
        raise ImportSourceError("The zip file has no datapackage.json in it.")
    return found[0].parent


def directory_import_run(*, import_id) -> DirectoryImport:
    """Run a queued import (called by the background task)."""
    job = DirectoryImport.objects.select_related("scheme", "started_by").get(pk=import_id)
    DirectoryImport.objects.filter(pk=job.pk).update(status=DirectoryImport.Status.RUNNING)
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            DirectoryImport.objects.filter(pk=job.pk).update(done=done, total=total)

    workdir = Path(tempfile.mkdtemp(prefix="linkwell-import-"))
    try:
        source: str | Path = job.source_url
        if job.upload:
            source = Path(job.upload.path)
            if source.suffix.lower() == ".zip":
                source = _unpacked(source, workdir)
        report = import_directory(
            source, owner_scheme=job.scheme, by=job.started_by, progress=progress
        )
    except ImportSourceError as error:
        job.status = DirectoryImport.Status.FAILED
        job.summary = {"message": str(error)}
    else:
        job.status = DirectoryImport.Status.DONE
        job.done = report.records_read
        job.total = report.records_read
        job.summary = {
            "counts": report.counts(),
            "errors": [_issue(i) for i in report.errors[:ISSUES_KEPT]],
            "warnings": [_issue(i) for i in report.warnings[:ISSUES_KEPT]],
            "error_count": len(report.errors),
            "warning_count": len(report.warnings),
            "seconds": round(report.seconds, 1),
            "rate": round(report.rate, 1),
            "incomplete": report.incomplete,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "done", "total", "summary", "finished_at"])
    return job


def _issue(issue) -> dict:
    return {"text": str(issue)}
