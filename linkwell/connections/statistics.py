"""How a service answers the scheme's referrals, for its directory page: how many were sent,
the median days to an answer, and the share accepted and completed. Two queries, whatever the
number of referrals (the median reads at most the last RECENT answers)."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from django.db.models import Count, Q

from linkwell.connections.models import Connection
from linkwell.connections.states import Kind, Status

RECENT = 200
WENT_AHEAD = (
    Status.ACCEPTED,
    Status.STARTED,
    Status.ATTENDED_SOME,
    Status.COMPLETED,
    Status.DROPPED_OUT,
    Status.DID_NOT_ATTEND,
)
# Referrals that went ahead and have ended: completed is counted against these.
FINISHED = (Status.COMPLETED, Status.DROPPED_OUT, Status.DID_NOT_ATTEND)
# Referrals still with the service or the person: not counted as accepted or not yet.
UNDECIDED = (Status.PROPOSED, Status.SENT, Status.WITHDRAWN)


@dataclass(frozen=True)
class ResponseStats:
    sent: int
    answered: int
    median_days: float | None
    accepted_percent: int | None
    completed_percent: int | None


def response_stats(*, scheme_id, service_id) -> ResponseStats:
    referrals = Connection.objects.filter(
        scheme_id=scheme_id, service_id=service_id, kind=Kind.REFERRAL, sent_at__isnull=False
    )
    counts = referrals.aggregate(
        sent=Count("id"),
        decided=Count("id", filter=~Q(status__in=UNDECIDED)),
        accepted=Count("id", filter=Q(status__in=WENT_AHEAD)),
        finished=Count("id", filter=Q(status__in=FINISHED)),
        completed=Count("id", filter=Q(status=Status.COMPLETED)),
    )
    waits = [
        (answered - sent).total_seconds() / 86400
        for sent, answered in referrals.filter(answered_at__isnull=False)
        .order_by("-answered_at")
        .values_list("sent_at", "answered_at")[:RECENT]
    ]

    def percent(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    return ResponseStats(
        sent=counts["sent"],
        answered=len(waits),
        median_days=round(median(waits), 1) if waits else None,
        accepted_percent=percent(counts["accepted"], counts["decided"]),
        completed_percent=percent(counts["completed"], counts["finished"]),
    )
