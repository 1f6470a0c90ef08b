"""Getting in over the API: SMS codes, residents' own sign-up, password reset, letters.

The first three are open to anyone (no login exists yet); they are rate-limited per number and
per client address and answer errors as ``{"code", "message"}`` in the request's language.
"""

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from gongzhi.accounts import services
from gongzhi.accounts.models import CodePurpose
from gongzhi.core.addresses import client_address
from gongzhi.core.apischema import ApiError, ErrorOut
from gongzhi.places.models import Community

router = Router(tags=["auth"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}


class CodeIn(Schema):
    phone: str = Field(max_length=20, description="11-digit mainland mobile number")
    purpose: CodePurpose = Field(
        CodePurpose.SIGN_UP, description="signup (default), reset or report"
    )


class Accepted(Schema):
    detail: str


@router.post(
    "/sms-code",
    auth=None,
    response={202: Accepted, **ERRORS},
    summary="Send a six-digit code by SMS (valid 10 minutes)",
)
def sms_code(request, payload: CodeIn):
    services.phone_code_send(
        phone=payload.phone, purpose=payload.purpose, address=client_address(request)
    )
    return 202, {"detail": "queued"}


class SignUpIn(Schema):
    phone: str = Field(max_length=20)
    code: str = Field(max_length=10)
    name: str = Field(max_length=40, description="Real name as in the registry")
    password: str = Field(max_length=128)
    community: int | None = Field(
        None, description="Community whose staff confirm the account if the registry has no match"
    )
    letter_code: str = Field("", max_length=20, description="Code of a household invitation letter")


class SignUpOut(Schema):
    id: int
    name: str
    status: str = Field(description="linked (a resident account at once) or pending (staff)")
    community: int


@router.post(
    "/sign-up", auth=None, response={201: SignUpOut, **ERRORS}, summary="Create my account"
)
def sign_up(request, payload: SignUpIn):
    community = None
    if payload.community is not None:
        community = Community.objects.filter(pk=payload.community).first()
        if community is None:
            raise ApiError(400, "bad_community", _("Unknown community."))
    result = services.account_sign_up(
        phone=payload.phone,
        code=payload.code,
        name=payload.name,
        password=payload.password,
        community=community,
        letter_code=payload.letter_code,
    )
    signup = result.signup
    return 201, {
        "id": result.user.pk,
        "name": signup.name,
        "status": signup.status,
        "community": signup.community_id,
    }


class ResetIn(Schema):
    phone: str = Field(max_length=20)
    code: str = Field(max_length=10)
    password: str = Field(max_length=128)


class Done(Schema):
    detail: str


@router.post(
    "/password-reset",
    auth=None,
    response={200: Done, **ERRORS},
    summary="Set a new password with a reset code",
)
def password_reset(request, payload: ResetIn):
    services.password_reset_by_code(
        phone=payload.phone, code=payload.code, password=payload.password
    )
    return 200, {"detail": "password_set"}


class LetterIn(Schema):
    code: str = Field(max_length=20)


@router.post(
    "/letter",
    response={200: SignUpOut, **ERRORS},
    summary="Link my waiting account to the household of an invitation letter",
)
def letter(request, payload: LetterIn):
    signup = services.letter_redeem(user=request.auth, code=payload.code)
    return 200, {
        "id": request.auth.pk,
        "name": signup.name,
        "status": signup.status,
        "community": signup.community_id,
    }
