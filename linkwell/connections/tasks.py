"""Background tasks of connections (run by `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_provider_of_referral(connection_id: str) -> str:
    """Tell the service a referral was sent: its staff with accounts get a note that it is in
    their inbox; a service with no accounts gets a private link to answer it. Returns "" when
    told, else why not (audited)."""
    from linkwell.connections.notices import tell_provider

    return tell_provider(connection_id=connection_id)
