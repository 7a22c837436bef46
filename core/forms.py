"""Forms of the member sign-in pages (the development sign-in's choice of demo member)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet


def signable_members() -> QuerySet:
    """Active member accounts, oldest first: what the development sign-in offers."""
    return get_user_model().objects.filter(kind="member", is_active=True).order_by("id")


class DevMemberSignInForm(forms.Form):
    """Any input (a missing, non-numeric or unknown id) is a form error, never a server error."""

    user_id = forms.ModelChoiceField(
        queryset=signable_members(),
        error_messages={
            "required": "ログインする加入者を一覧から選んでください。",
            "invalid_choice": "選んだ加入者が見つかりません。一覧から選び直してください。",
        },
    )
