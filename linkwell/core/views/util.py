"""Helpers shared by the HTML views."""

from django.core.exceptions import ValidationError
from django.utils.http import url_has_allowed_host_and_scheme

from linkwell.core.errors import ApplicationError


def apply_errors(form, error: ValidationError | ApplicationError) -> None:
    """Show a service's error on the form: next to its fields, or at the top."""
    if isinstance(error, ApplicationError):
        if error.fields:
            for field, field_messages in error.fields.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            form.add_error(None, error.message)
        return
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def safe_next(request) -> str | None:
    """The `next` address sent with the request (form field or query), if it stays on this
    site; else None."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None
