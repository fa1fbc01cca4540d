"""Routes of the case pages (see urls.py)."""

urlpatterns: list = []
