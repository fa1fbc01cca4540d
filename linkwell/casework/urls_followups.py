"""Routes of the followups pages (see urls.py)."""

urlpatterns: list = []
