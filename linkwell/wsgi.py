"""WSGI entry point for Linkwell (gunicorn linkwell.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkwell.settings")

application = get_wsgi_application()
