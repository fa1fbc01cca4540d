"""Factories for the directory: organisations, services, where and when they run, their terms.

`ServiceFactory` makes a bare active, public service; `listed_service(...)` makes one with a
location (and address), a weekly schedule, a cost option and taxonomy terms, as a typical
listing has.
"""

import datetime
from decimal import Decimal

import factory

from linkwell.directory import taxonomy
from linkwell.directory.models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Funding,
    Language,
    Location,
    Organization,
    OrganizationIdentifier,
    Phone,
    Program,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
)

# Birmingham city centre: where the factories' places are unless told otherwise.
CENTRE = (52.4797, -1.9026)


class TaxonomyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Taxonomy

    name = factory.Sequence(lambda n: f"Taxonomy {n}")
    description = "Terms for the tests."
    version = "1"


class TaxonomyTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxonomyTerm

    taxonomy = factory.SubFactory(TaxonomyFactory)
    code = factory.Sequence(lambda n: f"term-{n}")
    name = factory.Sequence(lambda n: f"Term {n}")
    language = "en"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Community Trust {n}")
    description = "A local charity."
    email = factory.Sequence(lambda n: f"hello{n}@trust.example.test")
    website = "https://trust.example.test"


class OrganizationIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationIdentifier

    organization = factory.SubFactory(OrganizationFactory)
    identifier_scheme = "GB-CHC"
    identifier_type = "Charity number"
    identifier = factory.Sequence(lambda n: f"{1100000 + n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Support for people in the community."
    status = ServiceStatus.ACTIVE
    is_public = True


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organization = factory.SubFactory(OrganizationFactory)
    location_type = Location.Type.PHYSICAL
    name = factory.Sequence(lambda n: f"Community Centre {n}")
    latitude = CENTRE[0]
    longitude = CENTRE[1]


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    location = factory.SubFactory(LocationFactory)
    address_1 = factory.Sequence(lambda n: f"{n + 1} High Street")
    city = "Birmingham"
    postal_code = "B1 1AA"
    country = "GB"


class AccessibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Accessibility

    location = factory.SubFactory(LocationFactory)
    description = "Step-free entrance and an accessible toilet."


class ServiceAtLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceAtLocation

    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(
        LocationFactory, organization=factory.SelfAttribute("..service.organization")
    )


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    service = factory.SubFactory(ServiceFactory)
    freq = Schedule.Freq.WEEKLY
    interval = 1
    byday = "MO"
    opens_at = datetime.time(10, 0)
    closes_at = datetime.time(12, 0)
    description = "Every Monday, 10am to midday."


class CostOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostOption

    service = factory.SubFactory(ServiceFactory)
    option = "Per session"
    amount = Decimal("3.50")
    amount_description = "Pay what you can"


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phone

    number = "0121 496 0000"
    type = "voice"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = "Sam Coordinator"
    title = "Volunteer coordinator"
    email = "sam@trust.example.test"


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language

    name = "Urdu"
    code = "ur"


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea

    service = factory.SubFactory(ServiceFactory)
    name = "Birmingham"
    extent_type = "geojson"


class FundingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funding

    service = factory.SubFactory(ServiceFactory)
    source = "The National Lottery Community Fund"


class RequiredDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequiredDocument

    service = factory.SubFactory(ServiceFactory)
    document = "A referral letter from your GP or link worker"


class AttributeFactory(factory.django.DjangoModelFactory):
    """A taxonomy term on a service: pass `service=` (or `link_id=`) and `taxonomy_term=`."""

    class Meta:
        model = Attribute
        exclude = ["service"]

    service = None
    link_entity = "service"
    link_id = factory.LazyAttribute(lambda o: o.service.pk)
    taxonomy_term = factory.SubFactory(TaxonomyTermFactory)


def default_term(code: str) -> TaxonomyTerm:
    """A term of Linkwell's default taxonomies (loaded by migration), by its code."""
    return TaxonomyTerm.objects.get(pk=taxonomy.term_id(code))


def listed_service(
    *,
    terms: tuple[str, ...] = ("loneliness",),
    at: tuple[float, float] | None = CENTRE,
    byday: str = "MO",
    opens_at: datetime.time = datetime.time(10, 0),
    closes_at: datetime.time = datetime.time(12, 0),
    postcode: str = "B1 1AA",
    **fields,
) -> Service:
    """A service as a typical listing has it: a location with an address (at `at`, or none
    when `at` is None), a weekly schedule, a cost option and default taxonomy terms."""
    service = ServiceFactory(**fields)
    if at is not None:
        location = LocationFactory(
            organization=service.organization, latitude=at[0], longitude=at[1]
        )
        AddressFactory(location=location, postal_code=postcode)
        ServiceAtLocationFactory(service=service, location=location)
    ScheduleFactory(service=service, byday=byday, opens_at=opens_at, closes_at=closes_at)
    CostOptionFactory(service=service)
    for code in terms:
        AttributeFactory(service=service, taxonomy_term=default_term(code))
    return service


def fully_described_service(**fields) -> Service:
    """A listing with one of everything HSDS nests in a service: programme, organisation
    identifier, location with address, accessibility and phone, phones with languages,
    languages, a contact, a service area, funding and a required document."""
    organization = fields.pop("organization", None) or OrganizationFactory()
    OrganizationIdentifierFactory(organization=organization)
    fields.setdefault("program", ProgramFactory(organization=organization))
    fields.setdefault("minimum_age", 18)
    fields.setdefault("url", "https://trust.example.test/walks")
    fields.setdefault("email", "walks@trust.example.test")
    fields.setdefault("assured_date", datetime.date(2026, 1, 5))
    service = listed_service(organization=organization, **fields)
    for place in service.service_at_locations.all():
        AccessibilityFactory(location=place.location)
        PhoneFactory(location=place.location)
    phone = PhoneFactory(service=service, extension="12")
    LanguageFactory(phone=phone)
    LanguageFactory(service=service, name="Polish", code="pl")
    ContactFactory(service=service)
    ServiceAreaFactory(service=service)
    FundingFactory(service=service)
    RequiredDocumentFactory(service=service)
    return service
