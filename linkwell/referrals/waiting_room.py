"""The virtual waiting room: private links, what the page shows, the printed pack."""


def offer_on_referral(*, referral_id) -> None:
    """Send the person a link to their waiting room (built with the waiting room)."""
