from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import MeSerializer, TokenRequestSerializer
from core.auth.ratelimit import sign_in_wait, too_many_attempts_message


class MeView(APIView):
    """The signed-in account."""

    @extend_schema(
        summary=_("ログイン中のアカウント"),
        description=_("ログイン中のアカウント（種別・支部）を返します。"),
        responses={200: OpenApiResponse(MeSerializer, description=_("ログイン中のアカウント"))},
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class TokenView(ObtainAuthToken):
    """Password sign-in for REST clients (社会保険労務士, staff tools): returns a token.

    Behind the sign-in rate limit (per account and per address): 429 with Retry-After.
    """

    #: 429 of the sign-in rate limit (not a DRF throttle, so listed for the schema).
    schema_error_codes = ["429"]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        summary=_("API トークンの発行"),
        description=_(
            "ID とパスワードでログインし、API トークンを返します"
            "（社会保険労務士・職員のクライアント用）。"
            "以後の要求には「Authorization: Token <トークン>」ヘッダーを付けてください。"
            "ログインの回数制限（アカウントごと・接続元ごと）を超えると "
            "429 と Retry-After を返します。"
            "続けて失敗するとアカウントは一定時間ロックされます（既定では5回で30分）。"
        ),
        request=TokenRequestSerializer,
        responses={
            200: OpenApiResponse(TokenRequestSerializer, description=_("発行された API トークン"))
        },
    )
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
