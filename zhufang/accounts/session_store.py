"""The session engine (会话): Django's database sessions, each row bound to its user.

``UserSession`` is Django's session row plus the logged-in user's id, so that reading the session
also reads the user, their unit and their roles in the same statement
(``zhufang.accounts.request_user``): one round trip where the ORM took three, on every request from a
browser or a phone. Writing, expiry, ``clearsessions`` and logging out are Django's own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from zhufang.accounts.request_user import hand_over, user_select


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from zhufang.accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance: Any = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        instance.user_id = int(user_id) if user_id is not None and str(user_id).isdigit() else None
        return instance

    def _get_session_from_db(self) -> Any:
        hand_over(None)
        key = self.session_key
        if not key:
            return None
        with connection.cursor() as cursor:
            cursor.execute(_statement(self.model, connection.vendor), [key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        hand_over(user_select(connection.vendor).build(row[1:]))
        return self.model(session_key=key, session_data=row[0])


@cache
def _statement(model: Any, vendor: str) -> str:
    """The session row joined with its user (``u``), the user's unit and roles."""
    quote = connection.ops.quote_name
    select = user_select(vendor)
    table, users = quote(model._meta.db_table), quote(model._meta.get_field("user").related_model._meta.db_table)
    join = f"LEFT JOIN {users} u ON u.{quote('id')} = s.{quote('user_id')} {select.joins}"
    where = f"s.{quote('session_key')} = %s AND s.{quote('expire_date')} > %s"
    return f"SELECT s.{quote('session_data')}, {select.columns} FROM {table} s {join} WHERE {where}"  # noqa: S608
