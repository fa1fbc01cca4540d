"""Factories for the models the tests build."""

import factory
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
