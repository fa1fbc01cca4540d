"""Factories for the models the tests build."""

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.models import Membership, Role, Scheme, Site, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme

    name = factory.Sequence(lambda n: f"Scheme {n}")
    slug = factory.Sequence(lambda n: f"scheme-{n}")
    require_two_factor = True


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    scheme = factory.SubFactory(SchemeFactory)
    name = factory.Sequence(lambda n: f"Site {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    scheme = factory.SubFactory(SchemeFactory)
    role = Role.LINK_WORKER


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "people.Person"

    scheme = factory.SubFactory(SchemeFactory)
    given_name = factory.Faker("first_name", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    postcode = "RV1 1AA"
    phone = factory.Sequence(lambda n: f"+447700900{n % 1000:03d}")


class ReferralFactory(factory.django.DjangoModelFactory):
    """A referral written straight to the table (intake itself is tested through its service)."""

    class Meta:
        model = "referrals.Referral"
        skip_postgeneration_save = True

    scheme = factory.SubFactory(SchemeFactory)
    person = factory.SubFactory(PersonFactory, scheme=factory.SelfAttribute("..scheme"))
    channel = "staff"
    source_type = "gp_practice"
    referrer_name = "Dr Ann Example"
    referrer_email = "gp@example.test"
    status = "received"
    snomed_code = "871731000000106"

    @factory.post_generation
    def reasons(obj, create, extracted, **kwargs):
        from linkwell.directory.models import TaxonomyTerm
        from linkwell.directory.taxonomy import term_id

        if create:
            codes = extracted or ["loneliness"]
            obj.reasons.set(TaxonomyTerm.objects.filter(pk__in=[term_id(c) for c in codes]))


def _worker_of(scheme):
    return MembershipFactory(scheme=scheme, role=Role.LINK_WORKER).user


class CaseFactory(factory.django.DjangoModelFactory):
    """An open case written straight to the table, with its accepted referral. (Opening a case
    through `case_open` is tested with its service.) Pass `worker=` to give it to someone."""

    class Meta:
        model = "casework.Case"

    scheme = factory.SubFactory(SchemeFactory)
    person = factory.SubFactory(PersonFactory, scheme=factory.SelfAttribute("..scheme"))
    referral = factory.SubFactory(
        ReferralFactory,
        scheme=factory.SelfAttribute("..scheme"),
        person=factory.SelfAttribute("..person"),
        status="accepted",
    )
    worker = factory.LazyAttribute(lambda o: _worker_of(o.scheme))
    status = "active"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.Contact"

    case = factory.SubFactory(CaseFactory)
    at = factory.LazyFunction(timezone.now)
    method = "phone"
    duration_minutes = 20
    notes = "Talked about the week."


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.FollowUp"

    case = factory.SubFactory(CaseFactory)
    worker = factory.SelfAttribute("case.worker")
    due_on = factory.LazyFunction(timezone.localdate)
    kind = "support_call"
    purpose = "Weekly support call"


class OutgoingMessageFactory(factory.django.DjangoModelFactory):
    """A row in the outbox about `about` (any record), waiting by default; `sent=True` or
    `failed=True` fill in what the database asks of those states."""

    class Meta:
        model = "notify.OutgoingMessage"

    class Params:
        about = None
        sent = factory.Trait(status="sent", sent_at=factory.LazyFunction(timezone.now))
        failed = factory.Trait(
            status="failed", failed_at=factory.LazyFunction(timezone.now), last_error="Refused"
        )

    kind = "test.message"
    channel = "email"
    to_address = "someone@example.test"
    status = "queued"
    about_type = factory.LazyAttribute(lambda o: o.about._meta.label_lower if o.about else "")
    about_id = factory.LazyAttribute(lambda o: str(o.about.pk) if o.about else "")
    created_at = factory.LazyFunction(timezone.now)
