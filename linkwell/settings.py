"""Linkwell's one settings module, driven by environment variables.

Every variable is listed, with its default, in `.env.example`. Typed values come from
django-environ's `FileAwareEnv`: a variable `NAME_FILE` holding a path is read from that file
instead of `NAME` (for secrets mounted by Docker, systemd or Kubernetes).

`LINKWELL_ENV` is `development` (the default: `make demo`, `make test`) or `production`.
Production refuses to start without a real `SECRET_KEY`, with `DEBUG` on, or without
`ALLOWED_HOSTS`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()
if env.bool("LINKWELL_READ_DOTENV", default=True) and (BASE_DIR / ".env").is_file():
    environ.FileAwareEnv.read_env(BASE_DIR / ".env")

LINKWELL_ENV = env.str("LINKWELL_ENV", default="development")
if LINKWELL_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("LINKWELL_ENV must be 'development' or 'production'.")
PRODUCTION = LINKWELL_ENV == "production"

_DEVELOPMENT_SECRET_KEY = "development-only-not-secret-linkwell-key-do-not-deploy"
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEVELOPMENT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    if not SECRET_KEY.strip() or SECRET_KEY == _DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set (or SECRET_KEY_FILE) when LINKWELL_ENV=production."
        )
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when LINKWELL_ENV=production.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name this server's host names in production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "linkwell.core",
    "linkwell.geo",
    "linkwell.directory",
    "linkwell.people",
    "linkwell.resources",
    "linkwell.referrals",
    "linkwell.casework",
    "linkwell.matching",
    "linkwell.connections",
    "linkwell.notify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "linkwell.core.middleware.ActiveMembershipMiddleware",
    "linkwell.core.middleware.TwoFactorRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "linkwell.urls"
WSGI_APPLICATION = "linkwell.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "linkwell" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linkwell.core.context_processors.shell",
            ],
        },
    },
]
FORM_RENDERER = "linkwell.core.forms.NHSUKFormRenderer"

# Database: PostgreSQL when DATABASE_URL is set, else SQLite under var/.
VAR_DIR = Path(env.str("LINKWELL_VAR_DIR", default=str(BASE_DIR / "var")))
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if "postgresql" in DATABASES["default"]["ENGINE"] and not env.bool(
        "DATABASE_JIT", default=False
    ):
        # PostgreSQL's JIT compiles a query when its estimated cost is high: for the short
        # queries of a web app (matching over a large directory, say) compiling costs far more
        # than it saves (0.6 s of a 1 s query measured). Off unless DATABASE_JIT=true.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "linkwell.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Users, sign-in and sessions.
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:sign_in"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:sign_in"

# Sessions end after this many minutes without a request.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed sign-ins (django-axes), per email address.
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking by address as well would lock out a whole GP practice or council office behind one
# NAT address after a few typos; the account is what needs protecting (with Argon2 and TOTP).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
# Count "A@x.org", " a@x.org" and "a@x.org" as one account, as sign-in does.
AXES_USERNAME_CALLABLE = "linkwell.core.signals.sign_in_email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "linkwell.core.views.auth.locked_out"
AXES_VERBOSE = False

# Two-factor (TOTP, django-otp). Schemes may turn it off; see core.permissions.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Linkwell")

# Email: console by default; SMTP (or any backend) when EMAIL_URL is set.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Linkwell <no-reply@linkwell.test>")
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Internationalisation.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# Static files: NHS.UK frontend and htmx from npm (node_modules), our compiled CSS, WhiteNoise.
STATIC_URL = "/static/"
# collectstatic's target, served by WhiteNoise in production; development serves from the finders.
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles") if PRODUCTION else "")
STATIC_ROOT = Path(STATIC_ROOT) if STATIC_ROOT else None
STATICFILES_DIRS = [
    BASE_DIR / "linkwell" / "static",
    ("nhsuk", BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"),
    ("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Security headers. Production turns on HTTPS-only cookies and HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Uploaded files (directory imports) live under var/, never in the code tree.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # not served: uploads are read by the background tasks only
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Background tasks (django-tasks, database backend): `manage.py db_worker` runs them;
# `make demo` starts one beside the web server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# API (django-ninja).
NINJA_PAGINATION_PER_PAGE = 50

# Logging: to the console; the audit log is in the database, not here.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "linkwell": {"level": "INFO"}},
}

# Messages to people (linkwell.notify): "log" (console, the default), "email" (email only) or
# "govuk_notify" (GOV.UK Notify: email and text messages, through one generic template per
# channel taking `subject` and `body`).
NOTIFY_BACKEND = env.str("NOTIFY_BACKEND", default="log")
NOTIFY_API_KEY = env.str("NOTIFY_API_KEY", default="")
NOTIFY_BASE_URL = env.str("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
NOTIFY_EMAIL_TEMPLATE_ID = env.str("NOTIFY_EMAIL_TEMPLATE_ID", default="")
NOTIFY_SMS_TEMPLATE_ID = env.str("NOTIFY_SMS_TEMPLATE_ID", default="")
# A GOV.UK Notify template per kind of message, e.g.
# NOTIFY_TEMPLATES="connection.provider_link=<id>,connection.provider_reminder=<id>"
# (the kinds and the fields each template may use are in docs/notifications.md).
NOTIFY_TEMPLATES = env.dict("NOTIFY_TEMPLATES", default={})
# The outbox: how long to wait before each retry of a message that failed for a reason that
# may pass (Notify down or busy), in seconds. One more attempt than there are delays.
NOTIFY_RETRY_DELAYS = [
    int(seconds)
    for seconds in env.list("NOTIFY_RETRY_DELAYS", default=["60", "300", "1800", "7200"])
]
# A message left "not sent" this many days (nobody tried it again or dismissed it) ends "not
# needed" and its words, which may name the person, are not kept.
NOTIFY_FORGET_FAILED_DAYS = env.int("NOTIFY_FORGET_FAILED_DAYS", default=30)
NOTIFY_TIMEOUT = env.float("NOTIFY_TIMEOUT", default=10.0)

# The address people use to reach this server, for links in emails.
LINKWELL_BASE_URL = env.str("LINKWELL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Geography: how a postcode becomes coordinates (linkwell.geo). "table" (the default) uses the
# postcodes `manage.py import_postcodes` loads; "http" asks a postcodes.io-compatible server.
GEO_POSTCODE_BACKEND = env.str("GEO_POSTCODE_BACKEND", default="table")
GEO_POSTCODES_IO_URL = env.str("GEO_POSTCODES_IO_URL", default="https://api.postcodes.io")
GEO_POSTCODES_IO_TIMEOUT = env.float("GEO_POSTCODES_IO_TIMEOUT", default=3.0)

# The public self-referral page takes at most this many referrals an hour from one address.
SELF_REFERRAL_LIMIT_PER_HOUR = env.int("SELF_REFERRAL_LIMIT_PER_HOUR", default=5)

# Matching: meaning-based similarity when the optional semantic extra is installed (it is off
# without it whatever this says); torch threads per process for encoding a person's words.
MATCHING_SEMANTIC = env.bool("MATCHING_SEMANTIC", default=True)
MATCHING_SEMANTIC_THREADS = env.int("MATCHING_SEMANTIC_THREADS", default=1)

# Demo data.
LINKWELL_DEMO_PASSWORD = env.str("LINKWELL_DEMO_PASSWORD", default="linkwell-demo-2026")
# Django's CSRF failure page, in the service's own style.
CSRF_FAILURE_VIEW = "linkwell.core.views.pages.csrf_failure"
