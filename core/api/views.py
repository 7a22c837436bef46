from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import MeSerializer


class MeView(APIView):
    """The signed-in account."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class TokenView(ObtainAuthToken):
    """Password sign-in for REST clients (社会保険労務士, staff tools): returns a token."""

    #: 429 of the sign-in rate limit (not a DRF throttle, so listed for the schema).
    schema_error_codes = ["429"]
