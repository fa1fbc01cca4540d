from django import template

from linkwell.core.audit import ACTIONS

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    """What an audit action code means, in words ('auth.signed_in' → 'Signed in')."""
    return ACTIONS.get(code, code)
