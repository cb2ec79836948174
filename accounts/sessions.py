"""Database sessions whose row is read with the signed-in user, in one query (issue 21).

`SESSION_ENGINE = "accounts.sessions"`: Django's `backends.db` store on its own table
(accounts.models.Session), whose rows carry the user's id beside the data. Every write goes
through Django's code; the read that every request with a session cookie makes is one query
that also brings the user's row and what `accounts.identity.identity_for` needs of them
(`session_with_user`); `accounts.middleware.session_user` takes the user from there. Expiry,
the session's auth hash (a password change ends other sessions) and inactive users are
checked as Django checks them.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.utils import timezone

from .identity import session_with_user


class SessionStore(db.SessionStore):
    # The user read with the row: a User, None when the row names none, or NOT_READ.
    NOT_READ = object()

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        row.user_id = user_id_in(data)
        return row

    def _validate_session_key(self, key):
        """A key of the shape Django makes (32 of a-z0-9; the column holds 40), else no key:
        a cookie holding anything else is not looked up (a NUL in it failed on PostgreSQL)."""
        return bool(key) and 8 <= len(key) <= 40 and not key.strip(VALID_KEY_CHARS)

    def load(self):
        self.user_read = self.NOT_READ
        if not self.session_key:
            return {}
        found = session_with_user(self.session_key, timezone.now())
        if found is None:
            return super().load()  # not found (Django forgets the key), or another engine
        data, self.user_read = found
        return self.decode(data)

    def user_with_row(self, user_id):
        """The user read with the session's row if it is user `user_id`, else NOT_READ."""
        user = getattr(self, "user_read", self.NOT_READ)
        if user is not None and user is not self.NOT_READ and user.pk == user_id:
            return user
        return self.NOT_READ


def user_id_in(data: dict) -> int | None:
    """The signed-in user's id in a session's data, as the row's copy stores it."""
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None
