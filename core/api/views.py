from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import MeSerializer
from core.auth.ratelimit import sign_in_wait, too_many_attempts_message


class MeView(APIView):
    """The signed-in account."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class TokenView(ObtainAuthToken):
    """Password sign-in for REST clients (社会保険労務士, staff tools): returns a token.

    Behind the sign-in rate limit (per account and per address): 429 with Retry-After.
    """

    #: 429 of the sign-in rate limit (not a DRF throttle, so listed for the schema).
    schema_error_codes = ["429"]

    def post(self, request: Request, *args, **kwargs) -> Response:
        data = request.data
        account = data.get("username") if isinstance(data, Mapping) else None
        wait = sign_in_wait(request, account=account)
        if wait is not None:
            return Response(
                {"detail": too_many_attempts_message(wait), "errors": {}},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        return super().post(request, *args, **kwargs)
