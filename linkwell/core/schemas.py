"""API schemas for schemes, the signed-in user and personal tokens."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(examples=["not_found"])
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class SiteOut(Schema):
    id: UUID
    name: str


class SchemeOut(Schema):
    id: UUID
    name: str
    slug: str
    require_two_factor: bool


class MembershipOut(Schema):
    scheme: SchemeOut
    role: str
    role_label: str = Field(alias="get_role_display")
    sites: list[SiteOut]

    @staticmethod
    def resolve_sites(obj):
        return list(obj.sites.all())


class MeOut(Schema):
    id: UUID
    email: str
    full_name: str
    active_scheme_id: UUID | None
    memberships: list[MembershipOut]


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown once: store it now.")
