"""The session engine (会话): Django's database sessions, read with one plain statement.

Every request from a browser or a phone reads its session row first; the ORM would compile that
``SELECT`` anew each time (≈0.3 ms of CPU per request on 2 cores). Writing, expiry and the table are
Django's own (``django.contrib.sessions``), so logging out or clearing sessions works as documented.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if not key:
            return None
        model = self.model
        quote = connection.ops.quote_name
        table, data = quote(model._meta.db_table), quote("session_data")
        key_c, expiry = quote("session_key"), quote("expire_date")
        sql = f"SELECT {data} FROM {table} WHERE {key_c} = %s AND {expiry} > %s"  # noqa: S608 - names from the model
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0])
