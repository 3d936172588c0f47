"""WSGI entry point (gunicorn zhufang.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhufang.settings")
application = get_wsgi_application()
