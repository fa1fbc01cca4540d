"""What the connection tests share: a link worker, and a case whose person agrees to share
their details with services."""

import pytest

from linkwell.core.models import Role
from linkwell.people.models import Consent, ConsentMethod, ConsentScope
from tests.factories import CaseFactory, MembershipFactory, PersonFactory


@pytest.fixture
def worker(scheme):
    return MembershipFactory(scheme=scheme, role=Role.LINK_WORKER).user


def sharing_case(scheme, worker, **person_fields):
    """A case whose person agrees, now, to share their details with services."""
    person = PersonFactory(scheme=scheme, **person_fields)
    Consent.objects.create(
        person=person, scope=ConsentScope.SHARE_PROVIDERS, method=ConsentMethod.VERBAL
    )
    return CaseFactory(scheme=scheme, person=person, worker=worker)


@pytest.fixture
def case(scheme, worker):
    return sharing_case(scheme, worker, given_name="Carol", email="carol@example.org")
