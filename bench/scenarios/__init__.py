"""The scenarios `python -m bench` can run.

A scenario is a module with `run(config: RunConfig) -> None` that times its operations with
`bench.runner.measure` and prints them with `bench.runner.emit`. It is registered here with a
one-line description, so that `--list` needs neither Django nor a database.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from bench.runner import RunConfig


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    module: str  # imported only after django.setup()

    def load(self) -> Callable[[RunConfig], None]:
        return import_module(self.module).run


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "caseload",
            "GET /cases/ (250 open cases), /cases/?due=overdue, a case record with a 500-entry "
            "timeline, and /cases/follow-ups/, as a link worker",
            "bench.scenarios.caseload",
        ),
        Scenario(
            "dashboard",
            "GET / as an admin and as a link worker, and GET /audit/, against GET /healthz",
            "bench.scenarios.dashboard",
        ),
        Scenario(
            "directory_search",
            "ORUK /services text+term search, a full page, /service_at_locations near a postcode",
            "bench.scenarios.directory_search",
        ),
        Scenario(
            "match",
            "matching's top 10 with reasons for three people, against the bare candidate query",
            "bench.scenarios.match",
        ),
        Scenario(
            "match_quality",
            "precision@5 and recall@10 of matching on the demo directory (labelled profiles)",
            "bench.scenarios.match_quality",
        ),
        Scenario(
            "provider_inbox",
            "GET /provider/referrals/ (all, waiting, page 3) as a provider, and /cases/ with "
            "three open connections per case",
            "bench.scenarios.provider_inbox",
        ),
        Scenario(
            "referral_import",
            "CSV import of --size N referral rows: checking the rows, then importing them (rows/s)",
            "bench.scenarios.referral_import",
        ),
        Scenario(
            "triage_queue",
            "GET /referrals/triage/, /referrals/waiting/ and the manager's dashboard (--size N "
            "referrals)",
            "bench.scenarios.triage_queue",
        ),
    ]
}
