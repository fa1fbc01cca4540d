"""Routes of the caseload pages (see urls.py)."""

urlpatterns: list = []
