from rest_framework import serializers

from core.models import User


class MeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    branch_name = serializers.CharField(source="branch.name", default=None)

    class Meta:
        model = User
        fields = ["id", "username", "kind", "kind_display", "branch_name"]
