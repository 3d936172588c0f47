"""Django settings for zhufang (主防).

Embedded defaults need no server: SQLite under ``var/``. ``DATABASE_URL`` switches to PostgreSQL.
Secrets and the data-encryption keys come from the environment or from a key file created on first
run (``var/keys.json``, never committed): see ``zhufang.privacy.keyring``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from zhufang.privacy.keyring import get_keyring

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ZHUFANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("ZHUFANG_SECRET_KEY") or get_keyring().secret_key
DEBUG = os.environ.get("ZHUFANG_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ZHUFANG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("ZHUFANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from its own static files: the API docs work offline
    "zhufang.privacy",
    "zhufang.org",
    "zhufang.accounts",
    "zhufang.audit",
    "zhufang.events",
    "zhufang.jobs",
    "zhufang.idempotency",
    "zhufang.registry",
    "zhufang.workdays",
    "zhufang.inspections",
    "zhufang.notifications",
    "zhufang.instructions",
    "zhufang.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhufang.audit.middleware.RequestContextMiddleware",
    "zhufang.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhufang.urls"
WSGI_APPLICATION = "zhufang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhufang.web.context.navigation",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, object]:
    """Parse ``postgres://user:pass@host:port/name`` (the only server database we support)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL: unsupported scheme {parsed.scheme!r} (use postgres://)")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "zhufang",
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "127.0.0.1",
        "PORT": str(parsed.port or 5432),
        "CONN_MAX_AGE": 60,
        # No health check (a SELECT 1 before every request's first query, ≈5 % of a phone submission's
        # cost). After a database restart each worker thread's first request fails once and Django
        # then reconnects; phones retry with the same Idempotency-Key, so nothing is lost or doubled.
        "CONN_HEALTH_CHECKS": False,
        "TEST": {"NAME": f"test_{unquote(parsed.path.lstrip('/')) or 'zhufang'}"},
    }


# SQLite with a web server, a worker and an import at once: WAL so readers never block the writer,
# BEGIN IMMEDIATE so a write transaction takes the lock up front (no upgrade deadlock), and a busy
# timeout so a writer waits instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; "
    "PRAGMA foreign_keys=ON;",
}

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("ZHUFANG_SQLITE_PATH", str(VAR_DIR / "zhufang.sqlite3")),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["zhufang.accounts.backends.PoliceNumberBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("police_number", "name")},
    },
    {"NAME": "zhufang.accounts.passwords.CharacterClassValidator"},
]

# Sessions: absolute lifetime of a working day, idle timeout enforced by SessionPolicyMiddleware.
SESSION_ENGINE = "zhufang.accounts.session_store"  # database sessions, read without the ORM
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
ZHUFANG_SESSION_IDLE_SECONDS = int(os.environ.get("ZHUFANG_SESSION_IDLE_SECONDS", 30 * 60))
# Login throttling: lock an account after N failures for M minutes; refuse an address after K failures.
ZHUFANG_LOGIN_MAX_FAILURES = 5
ZHUFANG_LOGIN_LOCK_MINUTES = 15
ZHUFANG_LOGIN_MAX_FAILURES_PER_IP = 20

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "zhufang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS by the bureau's reverse proxy (phones give their location only over HTTPS or on
# localhost): trust the proxy's scheme header and keep cookies on HTTPS. See docs/https.md.
if os.environ.get("ZHUFANG_HTTPS") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000

# Audit trail retention (网络安全法 Art. 21: at least six months; default three years).
ZHUFANG_AUDIT_RETENTION_DAYS = max(183, int(os.environ.get("ZHUFANG_AUDIT_RETENTION_DAYS", 3 * 365)))

# Geometry validation tolerances for imported jurisdiction polygons (square metres).
ZHUFANG_OVERLAP_TOLERANCE_M2 = 50.0
ZHUFANG_GAP_TOLERANCE_M2 = 50.0

# 群租 (group rental), a derived flag (DOMAIN §1.3; each city sets its own thresholds — Shanghai and
# Beijing: more than 2 residents per room, or less than 5 m² per resident). None switches a test off.
ZHUFANG_GROUP_RENTAL = {
    "max_residents_per_room": 2,
    "min_area_per_resident_m2": 5.0,
    "uses": ["rental"],
}
# Stale registry records (过期数据): not updated at source for this many days, or a residence permit
# expired this many days ago (None switches the permit test off).
ZHUFANG_STALE_RECORDS = {"days_since_update": 365, "days_since_permit_expired": 365}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"zhufang": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

NINJA_PAGINATION_PER_PAGE = 50
