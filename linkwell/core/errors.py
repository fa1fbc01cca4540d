"""Errors a service raises when a domain rule says no, with a stable code for API clients."""


class ApplicationError(Exception):
    """A rule of the domain was broken. `code` is stable; `message` is for people."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status  # for this one error: 409 when the record's state says no


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str = "Not found."):
        super().__init__("not_found", message)
