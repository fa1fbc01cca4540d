"""The provider inbox at scale, and the caseload with open connections on every case.

Data (the generator's `connections` builder): `--size N` referrals over the scheme's cases, to
one service in twenty (500 at size 10,000), most closed, some still going or waiting for an
answer; the bench provider (`first_member(Role.PROVIDER)`) keeps the organisations of 50 of
those services, so their inbox holds about a tenth of the referrals at size 10,000 (and about
1,000 at every size from 1,000 up); each of the bench link worker's open cases has three open
connections (referrals sent, accepted, started..., and signposts).

Operations:

- `provider_inbox`: GET /provider/referrals/ as the bench provider: the first page (25) of
  referrals to their services, newest first, with what was shared, the moves, the service
  filter and a capacity form per service.
- `provider_inbox_waiting`: GET /provider/referrals/?status=waiting: only those waiting for an
  answer.
- `provider_inbox_page3`: GET /provider/referrals/?page=3.
- `caseload_connections`: GET /cases/ as the bench link worker (as the `caseload` scenario's
  `caseload`), each case with three open connections and its referrals waiting annotated.

Each reports its query count beside its timings; the floor is GET /healthz by the same client.
The inbox and caseload reads are audited: the entries the runs write are deleted at the end.
"""

import sys

from django.urls import reverse

from bench.generator import first_member
from bench.runner import RunConfig, emit, measure
from bench.scenarios.dashboard import FLOOR_PATH, get, signed_in_client
from linkwell.casework.models import Case
from linkwell.casework.states import ON_CASELOAD
from linkwell.connections.models import Connection
from linkwell.connections.selectors import INBOX_PAGE_SIZE
from linkwell.connections.states import OPEN, Kind, Status
from linkwell.core.models import LogEntry, Role, User
from linkwell.directory.models import Organization


def _describe(provider: User, worker: User) -> None:
    """Check the data is as the operations need it, and say what it holds (on stderr)."""
    orgs = Organization.staff.through.objects.filter(user_id=provider.pk).values("organization_id")
    inbox = Connection.objects.filter(
        kind=Kind.REFERRAL, service__organization_id__in=orgs
    ).exclude(status=Status.PROPOSED)
    total = inbox.count()
    waiting = inbox.filter(status=Status.SENT).count()
    open_cases = Case.objects.filter(worker=worker, status__in=ON_CASELOAD).count()
    open_connections = Connection.objects.filter(
        case__worker=worker, case__status__in=ON_CASELOAD, status__in=sorted(OPEN)
    ).count()
    print(
        f"provider_inbox: {Connection.objects.count()} connections in all; the bench provider's "
        f"inbox holds {total} referrals ({waiting} waiting); the bench link worker has "
        f"{open_cases} open cases with {open_connections} open connections",
        file=sys.stderr,
        flush=True,
    )
    if total <= 2 * INBOX_PAGE_SIZE or not waiting:
        raise SystemExit(
            "provider_inbox: the bench provider's inbox has no page 3 or nothing waiting: "
            "is the size too small, or the data built before the connections builder?"
        )


def run(config: RunConfig) -> None:
    provider_user = first_member(Role.PROVIDER)
    worker_user = first_member(Role.LINK_WORKER)
    _describe(provider_user, worker_user)
    provider = signed_in_client(provider_user)
    worker = signed_in_client(worker_user)
    inbox = reverse("provider_inbox:inbox")
    operations = [
        ("provider_inbox", provider, inbox),
        ("provider_inbox_waiting", provider, f"{inbox}?status=waiting"),
        ("provider_inbox_page3", provider, f"{inbox}?page=3"),
        ("caseload_connections", worker, reverse("casework:caseload")),
    ]
    last_id = LogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        for name, client, path in operations:
            floor = measure(
                lambda c=client: get(c, FLOOR_PATH), runs=config.runs, warmup=config.warmup
            )
            timing = measure(
                lambda c=client, p=path: get(c, p), runs=config.runs, warmup=config.warmup
            )
            emit(config, name, timing, floor)
    finally:
        LogEntry.objects.filter(id__gt=last_id).delete()
