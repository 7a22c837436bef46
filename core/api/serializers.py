from rest_framework import serializers

from core.models import User


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
