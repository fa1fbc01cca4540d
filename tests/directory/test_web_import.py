"""Managers import listings from the web; a background task does the work."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from linkwell.core.models import LogEntry, Role
from linkwell.directory.models import DirectoryImport, Service

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "standards" / "hsds-3.0-examples"


def one_service(service_id="8d8f5b2e-6a0c-4d7e-9b1a-2f3c4d5e6f70", name="Imported choir"):
    return {
        "id": service_id,
        "name": name,
        "status": "active",
        "organization": {
            "id": "1b1c1d1e-1f10-4a2b-8c3d-4e5f60718293",
            "name": "Imported organisation",
            "description": "An organisation from another directory.",
        },
    }


def run_worker():
    """Run the queued tasks as `manage.py db_worker` does (its Worker.run_task), without its
    polling loop, whose connection housekeeping would close the test's transaction."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    queued = list(DBTaskResult.objects.ready())
    assert queued, "nothing was queued"
    for result in queued:
        result.claim(worker.worker_id)
        worker.run_task(result)


@pytest.fixture
def manager(client_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return client_as(Role.MANAGER)


def test_upload_a_json_file_and_watch_it_finish(manager, scheme):
    upload = SimpleUploadedFile(
        "council.json", json.dumps([one_service()]).encode(), content_type="application/json"
    )
    response = manager.post("/directory/import/", {"upload": upload})
    job = DirectoryImport.objects.get()
    assert response["Location"] == f"/directory/import/{job.pk}/"
    page = manager.get(response["Location"]).content.decode()
    assert "Waiting to start" in page
    assert 'hx-trigger="every 2s"' in page

    run_worker()

    job.refresh_from_db()
    assert job.status == DirectoryImport.Status.DONE
    assert job.summary["counts"]["service"]["created"] == 1
    service = Service.objects.get(name="Imported choir")
    assert service.owner_scheme == scheme
    page = manager.get(f"/directory/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Import finished" in page
    assert "every 2s" not in page  # stops polling when done
    assert LogEntry.objects.filter(action="directory.import_started").exists()
    assert LogEntry.objects.filter(action="directory.imported", scheme=scheme).exists()


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/standards is not beside this clone")
def test_upload_a_zipped_datapackage(manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (EXAMPLES / "csv").iterdir():
            archive.write(path, f"package/{path.name}")
    upload = SimpleUploadedFile("package.zip", buffer.getvalue(), content_type="application/zip")
    manager.post("/directory/import/", {"upload": upload})
    run_worker()
    job = DirectoryImport.objects.get()
    assert job.status == DirectoryImport.Status.DONE, job.summary
    assert Service.objects.filter(pk="ac148810-d857-441c-9679-408f346de14b").exists()


def test_a_file_that_is_not_json_fails_with_a_clear_message(manager):
    upload = SimpleUploadedFile("broken.json", b"{not json", content_type="application/json")
    manager.post("/directory/import/", {"upload": upload})
    run_worker()
    job = DirectoryImport.objects.get()
    assert job.status == DirectoryImport.Status.FAILED
    page = manager.get(f"/directory/import/{job.pk}/").content.decode()
    assert "The import could not be read" in page
    assert job.summary["message"]


def test_a_zip_that_escapes_its_folder_is_refused(manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil/datapackage.json", "{}")
    manager.post(
        "/directory/import/", {"upload": SimpleUploadedFile("evil.zip", buffer.getvalue())}
    )
    run_worker()
    job = DirectoryImport.objects.get()
    assert job.status == DirectoryImport.Status.FAILED
    assert "unsafe path" in job.summary["message"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Upload a file or give a feed address"),
        ({"url": "not a url"}, "Enter a web address"),
        ({"upload": ("notes.txt", b"hello")}, "The file must be a .json or .zip file"),
    ],
)
def test_bad_import_requests_are_explained(manager, data, message):
    if "upload" in data:
        name, content = data["upload"]
        data = {"upload": SimpleUploadedFile(name, content)}
    response = manager.post("/directory/import/", data)
    assert message in response.content.decode()
    assert not DirectoryImport.objects.exists()


def test_only_managers_import_and_only_their_schemes_imports_show(client_as, other_scheme):
    worker = client_as(Role.LINK_WORKER)
    assert worker.get("/directory/import/").status_code == 403
    theirs = DirectoryImport.objects.create(scheme=other_scheme, source_label="theirs.json")
    assert client_as(Role.MANAGER).get(f"/directory/import/{theirs.pk}/").status_code == 404


def test_a_zip_that_unpacks_too_big_is_refused(manager, settings):
    from linkwell.directory import imports

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("package/datapackage.json", "{}")
        archive.writestr("package/services.csv", "x" * 5000)
    original = imports.MAX_UNPACKED_BYTES
    imports.MAX_UNPACKED_BYTES = 1000
    try:
        manager.post(
            "/directory/import/", {"upload": SimpleUploadedFile("big.zip", buffer.getvalue())}
        )
        run_worker()
    finally:
        imports.MAX_UNPACKED_BYTES = original
    job = DirectoryImport.objects.get()
    assert job.status == DirectoryImport.Status.FAILED
    assert "unpacks to more than" in job.summary["message"]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/oruk", "http://localhost/oruk", "http://10.1.2.3/oruk"]
)
def test_the_web_import_will_not_fetch_the_servers_own_network(manager, url):
    response = manager.post("/directory/import/", {"url": url})
    assert "Give the public address of the feed" in response.content.decode()
    assert not DirectoryImport.objects.exists()
