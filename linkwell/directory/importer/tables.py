"""The HSDS 3.0 record types and tables, and how each maps onto Linkwell's directory models.

One `Table` per HSDS table: its name in the tabular layout (`services.csv`), its columns in the
order the published examples use, the Linkwell model that stores it, the links to other tables
(`service_id`, `location_id` …), and the lists of child records a nested (JSON) record carries.
The importer reads with these; `manage.py export_directory` writes with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from linkwell.directory import models as directory


@dataclass(frozen=True)
class Link:
    """A column naming another record: `service_id` on a phone, `parent_id` on a term."""

    column: str
    attname: str
    target: str  # the table it points at
    required: bool = False  # the model cannot store the record without it


@dataclass(frozen=True)
class Nested:
    """A list of child records (or one parent object) inside a nested JSON record."""

    key: str
    table: str
    # The child's link back to the record it is nested in (None: the child does not store it,
    # as with a service's organisation, which the service points at instead).
    back_link: str | None
    many: bool = True


@dataclass(frozen=True)
class Table:
    name: str  # HSDS table name: "services"
    record_type: str  # singular, for people: "service"
    filename: str
    model: type[models.Model]
    columns: tuple[str, ...]
    links: tuple[Link, ...] = ()
    nested: tuple[Nested, ...] = ()
    # Columns read from a record but kept nowhere (reported once, not per record).
    ignored: tuple[str, ...] = ()
    field_map: dict[str, str] = field(default_factory=dict)  # column -> attname when they differ

    def link(self, column: str) -> Link | None:
        for link in self.links:
            if link.column == column:
                return link
        return None


def _t(name, record_type, model, columns, *, filename=None, links=(), nested=(), ignored=()):
    return Table(
        name=name,
        record_type=record_type,
        filename=filename or f"{name}.csv",
        model=model,
        columns=tuple(columns.split()),
        links=tuple(links),
        nested=tuple(nested),
        ignored=tuple(ignored),
    )


_LANGUAGES = Nested("languages", "languages", "phone_id")
_PHONES_OF = {
    "service": Nested("phones", "phones", "service_id"),
    "location": Nested("phones", "phones", "location_id"),
    "organization": Nested("phones", "phones", "organization_id"),
    "contact": Nested("phones", "phones", "contact_id"),
    "service_at_location": Nested("phones", "phones", "service_at_location_id"),
}

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _t(
            "taxonomies",
            "taxonomy",
            directory.Taxonomy,
            "id name description uri version",
        ),
        _t(
            "taxonomy_terms",
            "taxonomy term",
            directory.TaxonomyTerm,
            "id code name description parent_id taxonomy language taxonomy_id term_uri",
            links=[
                Link("parent_id", "parent_id", "taxonomy_terms"),
                Link("taxonomy_id", "taxonomy_id", "taxonomies"),
            ],
            nested=[Nested("taxonomy_detail", "taxonomies", None, many=False)],
            ignored=["taxonomy"],
        ),
        _t(
            "organizations",
            "organization",
            directory.Organization,
            "id name alternate_name description email website tax_status tax_id "
            "year_incorporated legal_status logo uri parent_organization_id",
            links=[Link("parent_organization_id", "parent_organization_id", "organizations")],
            nested=[
                Nested("funding", "funding", "organization_id"),
                Nested("contacts", "contacts", "organization_id"),
                _PHONES_OF["organization"],
                Nested("locations", "locations", "organization_id"),
                Nested("programs", "programs", "organization_id"),
                Nested("organization_identifiers", "organization_identifiers", "organization_id"),
                Nested("attributes", "attributes", "organization"),
            ],
        ),
        _t(
            "organization_identifiers",
            "organization identifier",
            directory.OrganizationIdentifier,
            "id organization_id identifier_scheme identifier_type identifier",
            links=[Link("organization_id", "organization_id", "organizations", required=True)],
        ),
        _t(
            "programs",
            "program",
            directory.Program,
            "id organization_id name alternate_name description",
            links=[Link("organization_id", "organization_id", "organizations", required=True)],
        ),
        _t(
            "locations",
            "location",
            directory.Location,
            "id location_type url organization_id name alternate_name description "
            "transportation latitude longitude external_identifier external_identifier_type",
            links=[Link("organization_id", "organization_id", "organizations")],
            nested=[
                Nested("languages", "languages", "location_id"),
                Nested("addresses", "addresses", "location_id"),
                Nested("contacts", "contacts", "location_id"),
                Nested("accessibility", "accessibility", "location_id"),
                _PHONES_OF["location"],
                Nested("schedules", "schedules", "location_id"),
                Nested("attributes", "attributes", "location"),
            ],
        ),
        _t(
            "addresses",
            "address",
            directory.Address,
            "id location_id attention address_1 address_2 city region state_province "
            "postal_code country address_type",
            links=[Link("location_id", "location_id", "locations", required=True)],
        ),
        _t(
            "accessibility",
            "accessibility",
            directory.Accessibility,
            "id location_id description details url",
            links=[Link("location_id", "location_id", "locations", required=True)],
        ),
        _t(
            "services",
            "service",
            directory.Service,
            "id organization_id program_id name alternate_name description url email status "
            "interpretation_services application_process fees_description wait_time fees "
            "accreditations eligibility_description minimum_age maximum_age assured_date "
            "assurer_email licenses alert last_modified",
            links=[
                Link("organization_id", "organization_id", "organizations", required=True),
                Link("program_id", "program_id", "programs"),
            ],
            nested=[
                Nested("organization", "organizations", None, many=False),
                Nested("program", "programs", None, many=False),
                _PHONES_OF["service"],
                Nested("schedules", "schedules", "service_id"),
                Nested("service_areas", "service_areas", "service_id"),
                Nested("service_at_locations", "service_at_location", "service_id"),
                Nested("languages", "languages", "service_id"),
                Nested("funding", "funding", "service_id"),
                Nested("cost_options", "cost_options", "service_id"),
                Nested("required_documents", "required_documents", "service_id"),
                Nested("contacts", "contacts", "service_id"),
                Nested("attributes", "attributes", "service"),
            ],
            # last_modified is Linkwell's own record of when it last changed the listing.
            ignored=["last_modified", "metadata"],
        ),
        _t(
            "service_at_location",
            "service at location",
            directory.ServiceAtLocation,
            "id service_id location_id description",
            links=[
                Link("service_id", "service_id", "services", required=True),
                Link("location_id", "location_id", "locations", required=True),
            ],
            nested=[
                Nested("service", "services", None, many=False),
                Nested("location", "locations", None, many=False),
                Nested("contacts", "contacts", "service_at_location_id"),
                _PHONES_OF["service_at_location"],
                Nested("schedules", "schedules", "service_at_location_id"),
                Nested("attributes", "attributes", "service_at_location"),
            ],
        ),
        _t(
            "contacts",
            "contact",
            directory.Contact,
            "id organization_id service_id service_at_location_id location_id name title "
            "department email",
            links=[
                Link("organization_id", "organization_id", "organizations"),
                Link("service_id", "service_id", "services"),
                Link("service_at_location_id", "service_at_location_id", "service_at_location"),
                Link("location_id", "location_id", "locations"),
            ],
            nested=[_PHONES_OF["contact"], Nested("attributes", "attributes", "contact")],
        ),
        _t(
            "phones",
            "phone",
            directory.Phone,
            "id location_id service_id organization_id contact_id service_at_location_id "
            "number extension type description",
            links=[
                Link("location_id", "location_id", "locations"),
                Link("service_id", "service_id", "services"),
                Link("organization_id", "organization_id", "organizations"),
                Link("contact_id", "contact_id", "contacts"),
                Link("service_at_location_id", "service_at_location_id", "service_at_location"),
            ],
            nested=[_LANGUAGES],
        ),
        _t(
            "schedules",
            "schedule",
            directory.Schedule,
            "id service_id location_id service_at_location_id valid_from valid_to dtstart "
            "timezone until count wkst freq interval byday byweekno bymonthday byyearday "
            "description opens_at closes_at schedule_link attending_type notes",
            links=[
                Link("service_id", "service_id", "services"),
                Link("location_id", "location_id", "locations"),
                Link("service_at_location_id", "service_at_location_id", "service_at_location"),
            ],
        ),
        _t(
            "cost_options",
            "cost option",
            directory.CostOption,
            "id service_id valid_from valid_to option currency amount amount_description",
            links=[Link("service_id", "service_id", "services", required=True)],
        ),
        _t(
            "service_areas",
            "service area",
            directory.ServiceArea,
            "id service_id name description extent extent_type uri",
            links=[Link("service_id", "service_id", "services", required=True)],
        ),
        _t(
            "languages",
            "language",
            directory.Language,
            "id service_id location_id phone_id name code note",
            links=[
                Link("service_id", "service_id", "services"),
                Link("location_id", "location_id", "locations"),
                Link("phone_id", "phone_id", "phones"),
            ],
        ),
        _t(
            "funding",
            "funding",
            directory.Funding,
            "id organization_id service_id source",
            links=[
                Link("organization_id", "organization_id", "organizations"),
                Link("service_id", "service_id", "services"),
            ],
        ),
        _t(
            "required_documents",
            "required document",
            directory.RequiredDocument,
            "id service_id document uri",
            links=[Link("service_id", "service_id", "services", required=True)],
        ),
        _t(
            "attributes",
            "attribute",
            directory.Attribute,
            "id link_id taxonomy_term_id link_type link_entity value",
            links=[Link("taxonomy_term_id", "taxonomy_term_id", "taxonomy_terms", required=True)],
            nested=[Nested("taxonomy_term", "taxonomy_terms", None, many=False)],
        ),
    ]
}

# Tables of the HSDS tabular layout that Linkwell does not keep: an import notes them once; an
# export writes them with their header only, so the package has every table of the layout.
UNKEPT_TABLES: dict[str, tuple[str, ...]] = {
    "metadata": (
        "id",
        "resource_id",
        "resource_type",
        "last_action_date",
        "last_action_type",
        "field_name",
        "previous_value",
        "replacement_value",
        "updated_by",
    ),
    "meta_table_descriptions": ("id", "name", "language", "character_set"),
}

# Tables in the order a whole directory is written: what a record points at comes first.
WRITE_ORDER: tuple[str, ...] = (
    "taxonomies",
    "taxonomy_terms",
    "organizations",
    "organization_identifiers",
    "programs",
    "locations",
    "addresses",
    "accessibility",
    "services",
    "service_at_location",
    "contacts",
    "phones",
    "schedules",
    "cost_options",
    "service_areas",
    "languages",
    "funding",
    "required_documents",
    "attributes",
)

TABLE_OF_MODEL: dict[type[models.Model], Table] = {t.model: t for t in TABLES.values()}

# An attribute's link_entity, as HSDS names it, and the table it points into.
LINK_ENTITIES: dict[str, str] = {
    "service": "services",
    "organization": "organizations",
    "location": "locations",
    "service_at_location": "service_at_location",
    "contact": "contacts",
    "phone": "phones",
    "program": "programs",
}

# Linkwell's own fields on a service, beyond HSDS: read when a record carries them (Linkwell's
# own export does, in a `linkwell` object, or in a package's `linkwell_services.csv`),
# otherwise left as they are.
LINKWELL_TABLE = "linkwell_services"
LINKWELL_SERVICE_FIELDS: tuple[str, ...] = (
    "in_person",
    "by_phone",
    "online",
    "home_visit",
    "referral_required",
    "drop_in",
    "booking_required",
    "gender",
    "area_served",
    "capacity",
    "typical_wait_weeks",
    "cost_type",
    "fee_amount",
    "scheme_can_fund",
    "referral_route",
    "referral_email",
    "referral_phone",
)
