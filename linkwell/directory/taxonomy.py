"""Linkwell's default taxonomies: social prescribing need areas and activity types.

Ids are UUID5s of the terms' codes in a fixed namespace, so every installation (and every
export) gives the same term the same id. Loaded by migration 0002; schemes add their own terms.
"""

import uuid

NAMESPACE = uuid.UUID("6f1d7f8e-4b6a-4d0e-9a63-1c7c0a3b2e10")

NEED_AREAS_ID = uuid.uuid5(NAMESPACE, "taxonomy:need-areas")
ACTIVITY_TYPES_ID = uuid.uuid5(NAMESPACE, "taxonomy:activity-types")

NEED_AREAS = [
    ("mental-wellbeing", "Mental wellbeing"),
    ("loneliness", "Loneliness and isolation"),
    ("bereavement", "Bereavement"),
    ("money-debt", "Money and debt"),
    ("benefits", "Benefits"),
    ("housing", "Housing"),
    ("employment-skills", "Employment and skills"),
    ("physical-activity", "Physical activity"),
    ("arts-creativity", "Arts and creativity"),
    ("nature-gardening", "Nature and gardening"),
    ("carers", "Carers"),
    ("long-term-conditions", "Long-term conditions"),
    ("food", "Food"),
    ("digital-skills", "Digital skills"),
    ("family-parenting", "Family and parenting"),
    ("learning", "Learning"),
    ("volunteering", "Volunteering"),
    ("substance-use", "Substance use"),
    ("domestic-abuse", "Domestic abuse"),
]

ACTIVITY_TYPES = [
    ("befriending", "Befriending"),
    ("group-activity", "Group activity"),
    ("one-to-one-support", "One-to-one support"),
    ("advice-information", "Advice and information"),
    ("counselling-talking", "Counselling and talking therapy"),
    ("course-class", "Course or class"),
    ("peer-support", "Peer support group"),
    ("practical-help", "Practical help"),
    ("exercise-sport", "Exercise and sport"),
    ("volunteering-opportunity", "Volunteering opportunity"),
    ("helpline", "Helpline"),
]


def term_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"term:{code}")


def load(apps) -> None:
    """Create or refresh the default taxonomies (used by the data migration)."""
    taxonomy_model = apps.get_model("directory", "Taxonomy")
    term_model = apps.get_model("directory", "TaxonomyTerm")
    for taxonomy_id, name, description, terms in [
        (
            NEED_AREAS_ID,
            "Linkwell need areas",
            "What matters to the person: the areas of life social prescribing helps with.",
            NEED_AREAS,
        ),
        (
            ACTIVITY_TYPES_ID,
            "Linkwell activity types",
            "What kind of support or activity a service offers.",
            ACTIVITY_TYPES,
        ),
    ]:
        taxonomy, _ = taxonomy_model.objects.update_or_create(
            id=taxonomy_id, defaults={"name": name, "description": description, "version": "1"}
        )
        for code, term_name in terms:
            term_model.objects.update_or_create(
                id=term_id(code),
                defaults={"taxonomy": taxonomy, "code": code, "name": term_name, "language": "en"},
            )
