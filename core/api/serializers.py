"""Serializers of the API's own endpoints: the signed-in account and the token sign-in."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from core.models import User


@extend_schema_serializer(
    component_name="AuthToken",
    description=_("API トークンの発行: ID とパスワード、発行されたトークン。"),
)
class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's token sign-in input, documented in the project's language."""

    username = serializers.CharField(
        label=_("ユーザーID"), help_text=_("社会保険労務士・職員のユーザーID"), write_only=True
    )
    password = serializers.CharField(
        label=_("パスワード"),
        help_text=_("パスワード"),
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
    )
    token = serializers.CharField(
        label=_("トークン"),
        help_text=_("Authorization: Token <トークン> の形で送る API トークン"),
        read_only=True,
    )


@extend_schema_serializer(description=_("ログイン中のアカウント。"))
class MeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    branch_name = serializers.CharField(
        source="branch.name",
        default=None,
        allow_null=True,
        help_text="支部名。本部職員・加入者などは null",
    )

    class Meta:
        model = User
        fields = ["id", "username", "kind", "kind_display", "branch_name"]
