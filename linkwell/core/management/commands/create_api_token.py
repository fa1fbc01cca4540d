"""Make a personal API token for a user and print it once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from linkwell.core.errors import ApplicationError
from linkwell.core.models import User
from linkwell.core.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user. The token is printed once and never stored."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The user's email address.")
        parser.add_argument("--name", required=True, help="What the token is for.")

    def handle(self, *args, user, name, **options):
        account = User.objects.filter(email__iexact=user.strip()).first()
        if account is None:
            raise CommandError(f"No user has the email address {user!r}.")
        if not account.is_active:
            raise CommandError(f"{account.email} is switched off; a token would not work.")
        try:
            token, secret = api_token_create(user=account, name=name)
        except (ValidationError, ApplicationError) as error:
            message = getattr(error, "message", None) or "; ".join(error.messages)
            raise CommandError(message) from error
        self.stderr.write(
            f"Token '{token.name}' for {account.email}. Store it now; it is not shown again."
        )
        self.stdout.write(secret)
