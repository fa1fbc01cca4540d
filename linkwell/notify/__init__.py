"""Sending messages to people: one interface, several backends.

`send(Message(...))` hands a message to the backend named by the `NOTIFY_BACKEND` setting:

- `log` (the default): written to the console log, for development and the demo; nothing
  leaves the machine. It takes emails and text messages.
- `email`: Django's email backend (EMAIL_URL). It cannot send text messages and says so.
- `govuk_notify`: GOV.UK Notify, for email and SMS (NOTIFY_API_KEY, NOTIFY_BASE_URL). A message
  of a kind named in NOTIFY_TEMPLATES uses that template; any other uses the generic template of
  its channel (NOTIFY_EMAIL_TEMPLATE_ID, NOTIFY_SMS_TEMPLATE_ID). Every template is given
  `subject`, `body` and the message's own fields (`personalisation`) to place as it likes.
- `memory`: kept in `linkwell.notify.backends.outbox`, for tests.

A message goes either to an email address (`to_email`) or to a mobile number in +44 form
(`to_phone`, sent as a text message). A backend that cannot deliver raises `NotifyError` with a
message a person can act on, and says whether trying again later may work (`temporary`).

`send` delivers at once and is for messages a person is waiting on. Anything sent on someone's
behalf in the background goes through the outbox (`linkwell.notify.outbox`): it is stored, sent
by a background task, retried when the failure is temporary, and a failure stays visible.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


class Channel:
    EMAIL = "email"
    SMS = "sms"


class NotifyError(Exception):
    """A message could not be sent. `message` says why, in words for the staff who read it."""

    def __init__(self, message: str, *, status: int | None = None, temporary: bool | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        # Trying again later may work: the service was down, busy or unreachable. A refusal
        # (a bad address, a wrong key, a missing setting) is not temporary.
        if temporary is None:
            temporary = status is not None and (status >= 500 or status == 429)
        self.temporary = temporary


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
    # What the message is, e.g. "connection.provider_link": picks its GOV.UK Notify template.
    kind: str = ""
    # The message's own fields (service name, link, date...) for a template of its kind.
    personalisation: dict[str, str] = field(default_factory=dict)

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
