"""Message backends. Each has `send(message) -> id`."""

import logging
import uuid

from django.core.mail import send_mail

logger = logging.getLogger("linkwell.notify")


class LogBackend:
    """Writes the message to the log (the console by default): nothing leaves the machine."""

    def send(self, message) -> str:
        message_id = str(uuid.uuid4())
        logger.info(
            "Message %s to %s: %s\n%s", message_id, message.to_email, message.subject, message.body
        )
        return message_id


class EmailBackend:
    """Sends through Django's email settings (EMAIL_URL)."""

    def send(self, message) -> str:
        send_mail(
            subject=message.subject,
            message=message.body,
            from_email=None,
            recipient_list=[message.to_email],
        )
        return str(uuid.uuid4())
