"""Flask extensions, created unbound so blueprints can import them (application-factory style)."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
#: Its storage comes from the app's RATELIMIT_STORAGE_URI (Redis when configured, see web/app.py).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
