"""Sending messages to people: one interface, several backends.

`send(Message(...))` hands a message to the backend named by the `NOTIFY_BACKEND` setting:

- `log` (the default): written to the console log, for development and the demo; nothing
  leaves the machine. It takes emails and text messages.
- `email`: Django's email backend (EMAIL_URL). It cannot send text messages and says so.
- `govuk_notify`: GOV.UK Notify, for email and SMS, through one generic template per channel
  that takes `subject` and `body` (NOTIFY_API_KEY, NOTIFY_BASE_URL, NOTIFY_EMAIL_TEMPLATE_ID,
  NOTIFY_SMS_TEMPLATE_ID).
- `memory`: kept in `linkwell.notify.backends.outbox`, for tests.

A message goes either to an email address (`to_email`) or to a mobile number in +44 form
(`to_phone`, sent as a text message). A backend that cannot deliver raises `NotifyError` with a
message a person can act on; the caller records it.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


class Channel:
    EMAIL = "email"
    SMS = "sms"


class NotifyError(Exception):
    """A message could not be sent. `message` says why, in words for the staff who read it."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Message:
    to_email: str = ""
    subject: str = ""
    body: str = ""
    reference: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    to_phone: str = ""
    # "email" or "sms"; worked out from the address when not given.
    channel: str = ""

    def __post_init__(self):
        if not self.channel:
            object.__setattr__(self, "channel", Channel.SMS if self.to_phone else Channel.EMAIL)

    @property
    def to(self) -> str:
        return self.to_phone if self.channel == Channel.SMS else self.to_email


BACKENDS = {
    "log": "linkwell.notify.backends.LogBackend",
    "email": "linkwell.notify.backends.EmailBackend",
    "govuk_notify": "linkwell.notify.backends.GovUKNotifyBackend",
    "memory": "linkwell.notify.backends.MemoryBackend",
}


def get_backend():
    name = settings.NOTIFY_BACKEND
    return import_string(BACKENDS.get(name, name))()


def check(message: Message) -> None:
    """Refuse a message with no address, or with the address for the other channel."""
    if message.channel not in (Channel.EMAIL, Channel.SMS):
        raise ValueError(f"Unknown message channel: {message.channel!r}.")
    if message.to_email and message.to_phone:
        raise ValueError("A message goes to an email address or a phone number, not both.")
    if not message.to:
        raise ValueError(
            "A text message needs a phone number to go to."
            if message.channel == Channel.SMS
            else "A message needs an address to go to."
        )


def send(message: Message) -> str:
    """Send one message; returns the backend's id for it. Raises NotifyError if it failed."""
    check(message)
    return get_backend().send(message)
