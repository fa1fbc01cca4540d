"""Routes of the plan pages (see urls.py)."""

urlpatterns: list = []
