"""Message backends. Each has `send(message) -> id` and raises `NotifyError` when it cannot."""

import logging
import uuid

from django.conf import settings
from django.core.mail import send_mail

from linkwell.notify import Channel, NotifyError

logger = logging.getLogger("linkwell.notify")

# What the memory backend has been given, oldest first (tests empty it).
outbox: list = []


class LogBackend:
    """Writes the message to the log (the console by default): nothing leaves the machine."""

    def send(self, message) -> str:
        message_id = str(uuid.uuid4())
        kind = "Text message" if message.channel == Channel.SMS else "Message"
        logger.info(
            "%s %s to %s: %s\n%s", kind, message_id, message.to, message.subject, message.body
        )
        return message_id


class MemoryBackend:
    """Keeps messages in `outbox`, for tests."""

    def send(self, message) -> str:
        outbox.append(message)
        return str(uuid.uuid4())


class EmailBackend:
    """Sends through Django's email settings (EMAIL_URL). Email only."""

    def send(self, message) -> str:
        if message.channel != Channel.EMAIL:
            raise NotifyError(
                "This server sends messages by email only (NOTIFY_BACKEND=email), so it cannot "
                "send text messages. Use GOV.UK Notify (NOTIFY_BACKEND=govuk_notify) for text "
                "messages, or send by email."
            )
        try:
            send_mail(
                subject=message.subject,
                message=message.body,
                from_email=None,
                recipient_list=[message.to_email],
            )
        except OSError as error:
            raise NotifyError(f"The email could not be sent: {error}", temporary=True) from error
        except ValueError as error:
            raise NotifyError(f"The email could not be sent: {error}") from error
        return str(uuid.uuid4())


def _notify_error_text(error) -> str:
    """GOV.UK Notify's own words for a refusal, joined into one line."""
    detail = getattr(error, "message", "") or ""
    if isinstance(detail, list):
        detail = "; ".join(
            str(item.get("message", item)) if isinstance(item, dict) else str(item)
            for item in detail
        )
    return str(detail)


class GovUKNotifyBackend:
    """GOV.UK Notify (notifications-python-client): email and text messages.

    A message whose kind has a template in NOTIFY_TEMPLATES (kind -> template id) is sent with
    it; any other with its channel's generic template, whose content is `((body))` (and, for
    email, a subject line of `((subject))`). Every template is given `subject`, `body` and the
    message's own fields, so a kind's template may use `((service))`, `((link))` and so on.
    """

    def __init__(self):
        missing = [
            name
            for name in ("NOTIFY_API_KEY", "NOTIFY_BASE_URL")
            if not getattr(settings, name, "")
        ]
        if missing:
            raise NotifyError(
                f"GOV.UK Notify is not set up: set {' and '.join(missing)} in the settings."
            )
        from notifications_python_client.notifications import NotificationsAPIClient

        try:
            self.client = NotificationsAPIClient(
                settings.NOTIFY_API_KEY,
                base_url=settings.NOTIFY_BASE_URL,
                timeout=settings.NOTIFY_TIMEOUT,
            )
        except AssertionError:
            raise NotifyError(
                "NOTIFY_API_KEY is not a GOV.UK Notify API key: copy the whole key from "
                "Notify's 'API integration' page."
            ) from None

    def _template(self, message) -> str:
        own = (getattr(settings, "NOTIFY_TEMPLATES", None) or {}).get(message.kind)
        if own:
            return own
        channel = message.channel
        name = "NOTIFY_SMS_TEMPLATE_ID" if channel == Channel.SMS else "NOTIFY_EMAIL_TEMPLATE_ID"
        template_id = getattr(settings, name, "")
        if not template_id:
            raise NotifyError(f"GOV.UK Notify is not set up: set {name} in the settings.")
        return template_id

    def send(self, message) -> str:
        from notifications_python_client.errors import APIError

        template_id = self._template(message)
        personalisation = {
            **message.personalisation,
            "subject": message.subject,
            "body": message.body,
        }
        try:
            if message.channel == Channel.SMS:
                response = self.client.send_sms_notification(
                    phone_number=message.to_phone,
                    template_id=template_id,
                    personalisation=personalisation,
                    reference=message.reference or None,
                )
            else:
                response = self.client.send_email_notification(
                    email_address=message.to_email,
                    template_id=template_id,
                    personalisation=personalisation,
                    reference=message.reference or None,
                )
        except APIError as error:
            raise NotifyError(
                f"GOV.UK Notify did not send the message ({error.status_code}): "
                f"{_notify_error_text(error)}",
                status=error.status_code,
            ) from error
        if not isinstance(response, dict) or not response.get("id"):
            raise NotifyError("GOV.UK Notify's answer did not say the message was accepted.")
        return str(response["id"])
