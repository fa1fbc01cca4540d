"""Sending messages to people: one interface, several backends.

`send(Message(...))` hands a message to the backend named by the `NOTIFY_BACKEND` setting:
`log` (the default: written to the console log, for development and the demo) or `email`
(Django's email backend). A GOV.UK Notify backend comes with the referral pathway's SMS.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Message:
    to_email: str
    subject: str
    body: str
    reference: str = ""
    tags: dict[str, str] = field(default_factory=dict)


BACKENDS = {
    "log": "linkwell.notify.backends.LogBackend",
    "email": "linkwell.notify.backends.EmailBackend",
}


def get_backend():
    name = settings.NOTIFY_BACKEND
    return import_string(BACKENDS.get(name, name))()


def send(message: Message) -> str:
    """Send one message; returns the backend's id for it."""
    if not message.to_email:
        raise ValueError("A message needs an address to go to.")
    return get_backend().send(message)
