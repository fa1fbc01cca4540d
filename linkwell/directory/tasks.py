"""Background tasks of the directory (run by `manage.py db_worker`)."""

from django_tasks import task

from linkwell.directory.imports import directory_import_run


@task()
def run_directory_import(import_id: str) -> None:
    directory_import_run(import_id=import_id)
