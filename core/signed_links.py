"""Short-lived signed download links: a token naming one object for one user.

The token is ``django.core.signing.dumps`` of (object id, user id) with a purpose as salt and
a timestamp; :func:`read_link_token` checks the signature, the age and that the requesting
user is the one the link was made for. Any failure is :class:`core.errors.NotFound` (a link
for someone else, an expired or forged link all look like "not there").
"""

from __future__ import annotations

from typing import Any

from django.core import signing

from core.errors import NotFound

EXPIRED_MESSAGE = (
    "このダウンロードリンクは有効期限が切れたか、無効です。画面を再読み込みして、"
    "新しいリンクからダウンロードしてください。"
)


def make_link_token(*, purpose: str, object_id: int, user: Any) -> str:
    """A URL-safe token for ``object_id``, valid only for ``user``."""
    return signing.dumps([int(object_id), int(user.pk)], salt=f"link:{purpose}", compress=False)


def read_link_token(token: str, *, purpose: str, user: Any, max_age: int) -> int:
    """The object id a valid token names; NotFound if expired, forged or for another user."""
    try:
        object_id, user_id = signing.loads(token, salt=f"link:{purpose}", max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound(EXPIRED_MESSAGE, code="link_invalid") from None
    if not getattr(user, "is_authenticated", False) or int(user_id) != user.pk:
        raise NotFound(EXPIRED_MESSAGE, code="link_invalid")
    return int(object_id)
