"""The triage queue, the waiting list and the manager's dashboard with its waiting times.

Operations, by a signed-in manager of the bench scheme (`--size N` people each referred once
over five years, about one in thirty new and unassigned):

- `triage_queue`: GET /referrals/triage/: the first page of new referrals, most urgent first,
  with reasons, flags, ages and every link worker's open referrals.
- `waiting_list`: GET /referrals/waiting/?who=all: the first page of referrals waiting for first
  contact, with contact-attempt counts and the "unable to contact" suggestion.
- `dashboard_manager`: GET /: waiting now, oldest waiting, median and 90th-percentile days to
  first contact, per site (one ordered query per figure and site).

Each reports its query count (from the runner) beside its timings; the floor is GET /healthz
by the same client.
"""

from bench.generator import first_member
from bench.runner import RunConfig, emit, measure
from bench.scenarios.dashboard import FLOOR_PATH, get, signed_in_client
from linkwell.core.models import Role


def run(config: RunConfig) -> None:
    manager = signed_in_client(first_member(Role.MANAGER))
    operations = [
        ("triage_queue", "/referrals/triage/"),
        ("waiting_list", "/referrals/waiting/?who=all"),
        ("dashboard_manager", "/"),
    ]
    for name, path in operations:
        floor = measure(lambda: get(manager, FLOOR_PATH), runs=config.runs, warmup=config.warmup)
        timing = measure(lambda p=path: get(manager, p), runs=config.runs, warmup=config.warmup)
        emit(config, name, timing, floor)
