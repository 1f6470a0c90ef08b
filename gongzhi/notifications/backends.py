"""Backends that talk to real providers: Alibaba Cloud SMS, Tencent Cloud SMS, WeCom.

Each implements the one-method interface of ``outbound.py`` with the standard library only
(urllib). Endpoints come from settings so tests can point them at a local server. Error texts
name the provider's code and never the recipient; codes after which a later try can succeed
(rate limits, busy servers, an empty balance) are retried by the outbox, all others fail the
message at once.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from gongzhi.notifications.outbound import SendError

TIMEOUT_SECONDS = 10


def _http(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None) -> dict:
    """The provider's JSON answer, also for HTTP error statuses (providers explain errors in
    the body). Network failures raise ``OSError`` — a temporary failure for the outbox."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 — the URL is the configured provider endpoint
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        answer = None
    if not isinstance(answer, dict):
        raise SendError(f"HTTP {status}: the answer is not JSON", permanent=False)
    return answer


def _required(config: dict, *keys: str, setting: str) -> None:
    missing = [k for k in keys if not config.get(k)]
    if missing:
        raise ImproperlyConfigured(f"{setting} lacks {', '.join(missing)} (see docs/messages.md)")


def sms_template(kind: str) -> str:
    """The approved template for a message kind (``GONGZHI_SMS_TEMPLATES``, falling back to
    its ``default``). Providers send only approved templates, so a kind without one fails."""
    templates = settings.GONGZHI_SMS_TEMPLATES
    template = templates.get(kind) or templates.get("default")
    if not template:
        raise SendError(f"no SMS template for kind {kind or '(none)'!r}", permanent=True)
    return str(template)


# ---- Alibaba Cloud SMS ----------------------------------------------------------------------


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 encoding as the RPC signature wants it: unreserved characters kept, space as
    %20, ``*`` as %2A, ``~`` kept (urllib's quote does exactly this with safe="~")."""
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Signature V1.0 (HMAC-SHA1) of an RPC request.

    https://www.alibabacloud.com/help/en/sms/signature-method — sort the parameters (without
    Signature) by name, encode names and values, join as ``k=v&…``; StringToSign is
    ``METHOD&%2F&`` + the encoded query; Signature = Base64(HMAC-SHA1(secret + "&", StringToSign)).
    """
    canonical = "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in sorted(params.items())
    )
    string_to_sign = f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Alibaba's answer codes after which a later try can succeed; any other code is permanent
# (a wrong number, an unapproved sign name or template, a wrong key).
ALIYUN_TEMPORARY = (
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.AMOUNT_NOT_ENOUGH",
    "isp.",
    "Throttling",
    "ServiceUnavailable",
    "InternalError",
)


class AliyunSmsBackend:
    """Alibaba Cloud SMS, ``SendSms`` of dysmsapi 2017-05-25, RPC style over GET.

    https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms (SendSms: PhoneNumbers, SignName,
    TemplateCode, TemplateParam as JSON); success is ``{"Code": "OK", …}``.
    """

    def __init__(self) -> None:
        self.config = settings.GONGZHI_ALIYUN_SMS
        _required(
            self.config,
            "access_key_id",
            "access_key_secret",
            "sign_name",
            "endpoint",
            setting="GONGZHI_ALIYUN_*",
        )

    def send(
        self, *, to: str, subject: str, body: str, kind: str = "", params: dict | None = None
    ) -> None:
        query = {
            "AccessKeyId": self.config["access_key_id"],
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": to,
            "SignName": self.config["sign_name"],
            "TemplateCode": sms_template(kind),
            "TemplateParam": json.dumps(params or {}, ensure_ascii=False),
        }
        signature = aliyun_signature(query, self.config["access_key_secret"])
        encoded = "&".join(
            f"{k}={aliyun_percent_encode(v)}" for k, v in [("Signature", signature), *query.items()]
        )
        url = f"{self.config['endpoint']}?{encoded}"
        answer = _http("GET", url)
        code = str(answer.get("Code", ""))
        if code == "OK":
            return
        raise SendError(
            f"Aliyun {code or 'no code'}: {str(answer.get('Message', ''))[:120]}",
            permanent=not code.startswith(ALIYUN_TEMPORARY),
        )


# ---- Tencent Cloud SMS ----------------------------------------------------------------------


def tc3_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    action: str,
    payload: bytes,
    timestamp: int,
    content_type: str = "application/json; charset=utf-8",
) -> str:
    """The ``Authorization`` header of signature v3 (TC3-HMAC-SHA256) for a POST to "/".

    https://www.tencentcloud.com/document/api/382/40536 (SendSms) and
    https://tencentcloud.com/document/api/1084/39391 (Signature v3): CanonicalRequest over
    method, URI, query, the headers content-type, host and x-tc-action, and the payload's
    SHA-256; StringToSign = algorithm, timestamp, ``date/service/tc3_request``, the request's
    SHA-256; the key is derived from "TC3" + SecretKey through the date, service, "tc3_request".
    """
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host;x-tc-action"
    canonical_headers = f"content-type:{content_type}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing_key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )


# Tencent's codes after which a later try can succeed (frequency limits, an empty package,
# busy servers); any other code is permanent.
TENCENT_TEMPORARY = (
    "LimitExceeded.",
    "RequestLimitExceeded",
    "InternalError",
    "FailedOperation.InsufficientBalanceInSmsPackage",
)


class TencentSmsBackend:
    """Tencent Cloud SMS, ``SendSms`` of API 2021-01-11, JSON POST signed with TC3-HMAC-SHA256.

    Body: PhoneNumberSet (E.164), SmsSdkAppId, SignName, TemplateId, TemplateParamSet (the
    parameters' values in order). A request-level error is ``Response.Error.Code``; each
    number's outcome is ``Response.SendStatusSet[i].Code`` ("Ok" when sent).
    """

    action = "SendSms"
    version = "2021-01-11"

    def __init__(self) -> None:
        self.config = settings.GONGZHI_TENCENT_SMS
        _required(
            self.config,
            "secret_id",
            "secret_key",
            "sdk_app_id",
            "sign_name",
            "region",
            "endpoint",
            setting="GONGZHI_TENCENT_*",
        )

    def send(
        self, *, to: str, subject: str, body: str, kind: str = "", params: dict | None = None
    ) -> None:
        payload = json.dumps(
            {
                "PhoneNumberSet": [to if to.startswith("+") else f"+86{to}"],
                "SmsSdkAppId": self.config["sdk_app_id"],
                "SignName": self.config["sign_name"],
                "TemplateId": sms_template(kind),
                "TemplateParamSet": [str(v) for v in (params or {}).values()],
            },
            ensure_ascii=False,
        ).encode()
        host = urllib.parse.urlsplit(self.config["endpoint"]).netloc
        timestamp = int(dt.datetime.now(dt.UTC).timestamp())
        headers = {
            "Authorization": tc3_authorization(
                secret_id=self.config["secret_id"],
                secret_key=self.config["secret_key"],
                service="sms",
                host=host,
                action=self.action,
                payload=payload,
                timestamp=timestamp,
            ),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": self.action,
            "X-TC-Version": self.version,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.config["region"],
        }
        answer = _http("POST", self.config["endpoint"], body=payload, headers=headers)
        response = answer.get("Response") or {}
        error = response.get("Error")
        statuses = response.get("SendStatusSet") or []
        if error is None and statuses and statuses[0].get("Code") == "Ok":
            return
        if error is None and not statuses:
            raise SendError("Tencent: no send status in the answer")
        failure = error or statuses[0]
        code = str(failure.get("Code", ""))
        raise SendError(
            f"Tencent {code or 'no code'}: {str(failure.get('Message', ''))[:120]}",
            permanent=not code.startswith(TENCENT_TEMPORARY),
        )


# ---- WeCom (企业微信) -----------------------------------------------------------------------

# errcodes after which a later try can succeed: -1 system busy, 45009 call frequency limit,
# 45033 too many concurrent calls. Others (an invalid key, secret, user or IP) are permanent.
WECOM_TEMPORARY = {-1, 45009, 45033}
WECOM_TOKEN_INVALID = {40014, 42001}
# Text messages are limited to 2048 bytes of UTF-8.
WECOM_TEXT_BYTES = 2048


def wecom_text(subject: str, body: str) -> str:
    text = body if body.startswith(subject) else f"{subject}\n{body}".strip()
    return text.encode()[:WECOM_TEXT_BYTES].decode("utf-8", errors="ignore")


def _wecom_error(answer: dict, what: str) -> SendError:
    code = answer.get("errcode")
    message = str(answer.get("errmsg", ""))[:120]
    return SendError(
        f"WeCom {what} errcode {code}: {message}", permanent=code not in WECOM_TEMPORARY
    )


class WeComRobotBackend:
    """A WeCom group robot: POST ``{"msgtype": "text", "text": {"content": …}}`` to
    ``webhook/send?key=KEY`` (https://developer.work.weixin.qq.com/document/path/91770).

    ``to`` is the robot's key (each group has its own); empty means ``GONGZHI_WECOM_ROBOT_KEY``.
    """

    def __init__(self) -> None:
        self.config = settings.GONGZHI_WECOM
        _required(self.config, "api_base", setting="GONGZHI_WECOM_*")

    def send(
        self, *, to: str, subject: str, body: str, kind: str = "", params: dict | None = None
    ) -> None:
        key = to or self.config["robot_key"]
        if not key:
            raise SendError("WeCom robot: no webhook key", permanent=True)
        url = f"{self.config['api_base']}webhook/send?{urllib.parse.urlencode({'key': key})}"
        payload = {"msgtype": "text", "text": {"content": wecom_text(subject, body)}}
        answer = _http(
            "POST",
            url,
            body=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        if answer.get("errcode") != 0:
            raise _wecom_error(answer, "robot")


class WeComAppBackend:
    """A WeCom application message to one member (``to`` = their WeCom user id).

    https://developer.work.weixin.qq.com/document/path/91039 (gettoken with corpid and
    corpsecret; the token lives ``expires_in`` seconds and is cached until shortly before) and
    https://developer.work.weixin.qq.com/document/path/90236 (message/send with touser,
    msgtype text, agentid). An expired or invalid token (42001, 40014) is refreshed once.
    """

    def __init__(self) -> None:
        self.config = settings.GONGZHI_WECOM
        _required(
            self.config, "corp_id", "corp_secret", "agent_id", "api_base", setting="GONGZHI_WECOM_*"
        )
        corp = hashlib.sha256(
            f"{self.config['corp_id']}:{self.config['agent_id']}".encode()
        ).hexdigest()[:16]
        self.cache_key = f"wecom-token:{corp}"

    def token(self, *, fresh: bool = False) -> str:
        if not fresh:
            cached = cache.get(self.cache_key)
            if cached:
                return cached
        query = urllib.parse.urlencode(
            {"corpid": self.config["corp_id"], "corpsecret": self.config["corp_secret"]}
        )
        answer = _http("GET", f"{self.config['api_base']}gettoken?{query}")
        if answer.get("errcode") != 0 or not answer.get("access_token"):
            raise _wecom_error(answer, "gettoken")
        # Renew five minutes before the provider's expiry, so a token never dies mid-run.
        lifetime = max(int(answer.get("expires_in", 7200)) - 300, 60)
        cache.set(self.cache_key, answer["access_token"], timeout=lifetime)
        return answer["access_token"]

    def send(
        self, *, to: str, subject: str, body: str, kind: str = "", params: dict | None = None
    ) -> None:
        payload = json.dumps(
            {
                "touser": to,
                "msgtype": "text",
                "agentid": int(self.config["agent_id"]),
                "text": {"content": wecom_text(subject, body)},
                "safe": 0,
            },
            ensure_ascii=False,
        ).encode()
        token = self.token()
        for attempt in (1, 2):
            url = f"{self.config['api_base']}message/send?{urllib.parse.urlencode({'access_token': token})}"
            answer = _http("POST", url, body=payload, headers={"Content-Type": "application/json"})
            if answer.get("errcode") in WECOM_TOKEN_INVALID and attempt == 1:
                token = self.token(fresh=True)
                continue
            break
        if answer.get("errcode") != 0:
            raise _wecom_error(answer, "message/send")
        if to in str(answer.get("invaliduser", "")).split("|"):
            raise SendError("WeCom message/send: the user is not a member", permanent=True)
