"""A link worker's caseload, one long case record, and the follow-ups due.

Operations, by the bench link worker (`first_member(Role.LINK_WORKER)`), who holds
`BENCH_CASELOAD` open cases and up to `BENCH_HISTORY_CASES` closed ones, in a scheme where
`--size N` people were referred over five years and every accepted referral opened a case:

- `caseload`: GET /cases/: the first page (50) of the worker's open cases, sorted by what is
  due, with next follow-up, last contact and risk flags.
- `caseload_filtered`: GET /cases/?due=overdue: the same, only cases with an overdue follow-up.
- `case_record`: GET /cases/<id>/ of the bench case, whose timeline holds `TIMELINE_ENTRIES`
  entries (contacts, notes, follow-ups done, goal progress, status changes).
- `followups_today`: GET /cases/follow-ups/: the worker's follow-ups due today and overdue.

Each reports its query count beside its timings; the floor is GET /healthz by the same client.
Reading a case record is audited: the entries the runs write are deleted at the end, so that
the data stays as it was built.
"""

from django.urls import reverse

from bench.generator import first_member
from bench.generator_cases import bench_case_id
from bench.runner import RunConfig, emit, measure
from bench.scenarios.dashboard import FLOOR_PATH, get, signed_in_client
from linkwell.core.models import LogEntry, Role


def operations() -> list[tuple[str, str]]:
    """(name, path) of each operation, for the bench link worker."""
    worker = first_member(Role.LINK_WORKER)
    case_id = bench_case_id(worker.pk)
    if case_id is None:
        raise LookupError("The bench link worker has no open case: is the size too small?")
    caseload = reverse("casework:caseload")
    return [
        ("caseload", caseload),
        ("caseload_filtered", f"{caseload}?due=overdue"),
        ("case_record", reverse("casework:detail", args=[case_id])),
        ("followups_today", reverse("casework:followups")),
    ]


def run(config: RunConfig) -> None:
    worker = signed_in_client(first_member(Role.LINK_WORKER))
    last_id = LogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        for name, path in operations():
            floor = measure(lambda: get(worker, FLOOR_PATH), runs=config.runs, warmup=config.warmup)
            timing = measure(lambda p=path: get(worker, p), runs=config.runs, warmup=config.warmup)
            emit(config, name, timing, floor)
    finally:
        LogEntry.objects.filter(id__gt=last_id).delete()
