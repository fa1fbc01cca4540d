"""The dashboard and the audit log's first page, as a signed-in member sees them.

Each operation is compared with a floor: GET /healthz by the same signed-in client, which goes
through the same middleware (session, user, active membership) and runs one query of its own.
"""

from django.test import Client

from bench.generator import first_member
from bench.runner import RunConfig, emit, measure
from linkwell.core.models import LogEntry, Role, User

FLOOR_PATH = "/healthz"


class UnexpectedResponse(RuntimeError):
    pass


def signed_in_client(user: User) -> Client:
    """A client signed in as `user`, leaving the audit log as it was built."""
    last_id = LogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    # Signing in writes an `auth.signed_in` entry; without this, each run would add to the data.
    LogEntry.objects.filter(id__gt=last_id).delete()
    return client


def get(client: Client, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        where = f" to {response['Location']}" if response.has_header("Location") else ""
        raise UnexpectedResponse(
            f"GET {path} answered {response.status_code}{where}; the bench expects 200. Is the "
            "bench scheme's two-factor requirement off, and the user an active member?"
        )


def run(config: RunConfig) -> None:
    admin = signed_in_client(first_member(Role.ADMIN))
    link_worker = signed_in_client(first_member(Role.LINK_WORKER))
    operations = [
        ("dashboard_admin", admin, "/"),
        ("dashboard_link_worker", link_worker, "/"),
        ("audit_log_page1", admin, "/audit/"),
    ]
    for name, client, path in operations:
        floor = measure(lambda c=client: get(c, FLOOR_PATH), runs=config.runs, warmup=config.warmup)
        timing = measure(lambda c=client, p=path: get(c, p), runs=config.runs, warmup=config.warmup)
        emit(config, name, timing, floor)
