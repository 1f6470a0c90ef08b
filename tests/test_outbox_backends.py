"""Each provider backend against a local server that checks the request as the provider
documents it (the signature recomputed here from the secret) and answers as the provider does,
errors included."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from gongzhi.notifications import outbox
from gongzhi.notifications.backends import (
    AliyunSmsBackend,
    TencentSmsBackend,
    WeComAppBackend,
    WeComRobotBackend,
)
from gongzhi.notifications.models import Outbox, OutboxStatus
from gongzhi.notifications.outbound import SendError

PHONE = "13812345678"
ALIYUN_SECRET = "testsecret"
TENCENT_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"


class Provider:
    """A local HTTP server: records each request and answers with the next queued answer."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                url = urllib.parse.urlsplit(self.path)
                provider.requests.append(
                    {
                        "method": self.command,
                        "path": url.path,
                        "raw_query": url.query,
                        "query": dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length),
                    }
                )
                status, answer = provider.answers.pop(0) if provider.answers else (200, {})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    server = Provider()
    yield server
    server.close()


@pytest.fixture
def templates(settings):
    settings.GONGZHI_SMS_TEMPLATES = {"signup_code": "SMS_465300001", "default": "SMS_465300002"}


def queue_sms(**kwargs) -> Outbox:
    values = {"to": PHONE, "channel": "sms", "subject": "验证码", "body": "", "kind": "signup_code"}
    return outbox.enqueue(**(values | kwargs))


# ---- Alibaba Cloud --------------------------------------------------------------------------


def aliyun_expected_signature(query: dict, secret: str) -> str:
    """Signature V1.0 as https://www.alibabacloud.com/help/en/sms/signature-method describes it,
    written independently of the backend."""

    def enc(value: str) -> str:
        return (
            urllib.parse.quote(value, safe="")
            .replace("+", "%20")
            .replace("*", "%2A")
            .replace("%7E", "~")
        )

    pairs = sorted((k, v) for k, v in query.items() if k != "Signature")
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)
    to_sign = "GET&" + enc("/") + "&" + enc(canonical)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


@pytest.fixture
def aliyun(settings, provider, templates):
    settings.GONGZHI_SMS_BACKEND = "aliyun"
    settings.GONGZHI_ALIYUN_SMS = {
        "access_key_id": "testid",
        "access_key_secret": ALIYUN_SECRET,
        "sign_name": "共治社区",
        "endpoint": provider.url,
    }
    return provider


def test_aliyun_request_is_signed_and_shaped_as_documented(db, aliyun):
    aliyun.answers.append((200, {"Code": "OK", "Message": "OK", "BizId": "9006197^0"}))
    row = queue_sms(params={"code": "482913"})
    assert str(outbox.send_due()) == "sent 1, retrying 0, failed 0"
    (request,) = aliyun.requests
    query = request["query"]
    assert request["method"] == "GET" and request["path"] == "/"
    assert query["Signature"] == aliyun_expected_signature(query, ALIYUN_SECRET)
    assert {
        k: query[k]
        for k in (
            "AccessKeyId",
            "Action",
            "Format",
            "SignatureMethod",
            "SignatureVersion",
            "Version",
            "PhoneNumbers",
            "SignName",
            "TemplateCode",
        )
    } == {
        "AccessKeyId": "testid",
        "Action": "SendSms",
        "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "Version": "2017-05-25",
        "PhoneNumbers": PHONE,
        "SignName": "共治社区",
        "TemplateCode": "SMS_465300001",
    }
    assert json.loads(query["TemplateParam"]) == {"code": "482913"}
    sent_at = dt.datetime.strptime(query["Timestamp"] + "+0000", "%Y-%m-%dT%H:%M:%SZ%z")
    assert query["SignatureNonce"] and abs(dt.datetime.now(dt.UTC) - sent_at).total_seconds() < 60
    # The URL itself is encoded the documented way: no '+' for spaces, UTF-8 percent-encoded.
    assert "%E5%85%B1%E6%B2%BB" in request["raw_query"] and "+" not in request["raw_query"]
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT


def test_aliyun_without_params_sends_the_subject_and_the_default_template(db, aliyun):
    aliyun.answers.append((200, {"Code": "OK", "Message": "OK"}))
    queue_sms(kind="matter_status", subject="您反映的事项已受理")
    outbox.send_due()
    query = aliyun.requests[0]["query"]
    assert query["TemplateCode"] == "SMS_465300002"
    assert json.loads(query["TemplateParam"]) == {"title": "您反映的事项已受理"}


def test_aliyun_rate_limit_is_retried_and_illegal_number_fails(db, aliyun):
    aliyun.answers += [
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5"}),
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}),
        (400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}),
    ]
    limited, illegal, badsig = queue_sms(), queue_sms(), queue_sms()
    assert str(outbox.send_due()) == "sent 0, retrying 1, failed 2"
    for row in (limited, illegal, badsig):
        row.refresh_from_db()
    assert (limited.status, limited.attempts) == (OutboxStatus.QUEUED, 1)
    assert "isv.BUSINESS_LIMIT_CONTROL" in limited.last_error
    assert illegal.status == OutboxStatus.FAILED and "MOBILE_NUMBER_ILLEGAL" in illegal.last_error
    assert badsig.status == OutboxStatus.FAILED and "SignatureDoesNotMatch" in badsig.last_error
    assert all(PHONE not in r.last_error for r in (limited, illegal, badsig))


def test_a_kind_without_template_fails_without_calling(db, aliyun, settings):
    settings.GONGZHI_SMS_TEMPLATES = {"signup_code": "SMS_1"}
    row = queue_sms(kind="matter_status")
    assert str(outbox.send_due()) == "sent 0, retrying 0, failed 1"
    row.refresh_from_db()
    assert "no SMS template" in row.last_error
    assert aliyun.requests == []


def test_missing_credentials_are_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.GONGZHI_ALIYUN_SMS = {"access_key_id": "", "endpoint": "http://x/"}
    with pytest.raises(ImproperlyConfigured):
        AliyunSmsBackend()


# ---- Tencent Cloud --------------------------------------------------------------------------


def tencent_expected_authorization(headers: dict, body: bytes, secret_id: str, key: str) -> str:
    """TC3-HMAC-SHA256 recomputed from what the server received (Signature v3 docs)."""
    timestamp = int(headers["x-tc-timestamp"])
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical_headers = (
        f"content-type:{headers['content-type']}\nhost:{headers['host']}\n"
        f"x-tc-action:{headers['x-tc-action'].lower()}\n"
    )
    signed = "content-type;host;x-tc-action"
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n" + hashlib.sha256(body).hexdigest()
    scope = f"{date}/sms/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    )
    k_date = hmac.new(("TC3" + key).encode(), date.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_date, b"sms", hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()
    signature = hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


@pytest.fixture
def tencent(settings, provider, templates):
    settings.GONGZHI_SMS_BACKEND = "tencent"
    settings.GONGZHI_TENCENT_SMS = {
        "secret_id": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        "secret_key": TENCENT_KEY,
        "sdk_app_id": "1400006666",
        "sign_name": "共治社区",
        "region": "ap-guangzhou",
        "endpoint": provider.url,
    }
    return provider


def tencent_status(code: str, message: str) -> dict:
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "5000:1045710669157053657849499619",
                    "PhoneNumber": "+86" + PHONE,
                    "Fee": 1,
                    "SessionContext": "",
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }


def test_tencent_request_is_signed_and_shaped_as_documented(db, tencent):
    tencent.answers.append((200, tencent_status("Ok", "send success")))
    queue_sms(params={"code": "482913", "minutes": 10})
    assert str(outbox.send_due()) == "sent 1, retrying 0, failed 0"
    (request,) = tencent.requests
    headers = request["headers"]
    assert request["method"] == "POST" and request["path"] == "/"
    assert headers["authorization"] == tencent_expected_authorization(
        headers, request["body"], "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", TENCENT_KEY
    )
    assert (headers["x-tc-action"], headers["x-tc-version"], headers["x-tc-region"]) == (
        "SendSms",
        "2021-01-11",
        "ap-guangzhou",
    )
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert abs(int(headers["x-tc-timestamp"]) - dt.datetime.now(dt.UTC).timestamp()) < 60
    assert json.loads(request["body"]) == {
        "PhoneNumberSet": ["+86" + PHONE],
        "SmsSdkAppId": "1400006666",
        "SignName": "共治社区",
        "TemplateId": "SMS_465300001",
        "TemplateParamSet": ["482913", "10"],
    }


def test_tencent_errors_request_level_and_per_number(db, tencent):
    tencent.answers += [
        (200, {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "请求频率超限"}}}),
        (
            200,
            tencent_status(
                "LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发短信条数超过设定的上限"
            ),
        ),
        (200, tencent_status("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误")),
        (
            200,
            {
                "Response": {
                    "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "签名错误"},
                    "RequestId": "x",
                }
            },
        ),
    ]
    rows = [queue_sms() for _ in range(4)]
    assert str(outbox.send_due()) == "sent 0, retrying 2, failed 2"
    for row in rows:
        row.refresh_from_db()
    assert [r.status for r in rows] == ["queued", "queued", "failed", "failed"]
    assert "RequestLimitExceeded" in rows[0].last_error
    assert "AuthFailure.SignatureFailure" in rows[3].last_error
    assert all(PHONE not in r.last_error for r in rows)


def test_a_network_failure_is_retried(db, settings, templates):
    settings.GONGZHI_SMS_BACKEND = "tencent"
    # A port nobody listens on (the server is closed before the send).
    server = Provider()
    server.close()
    settings.GONGZHI_TENCENT_SMS = {
        "secret_id": "id",
        "secret_key": "key",
        "sdk_app_id": "1",
        "sign_name": "共治",
        "region": "ap-guangzhou",
        "endpoint": server.url,
    }
    row = queue_sms()
    assert str(outbox.send_due()) == "sent 0, retrying 1, failed 0"
    row.refresh_from_db()
    assert row.attempts == 1 and row.status == OutboxStatus.QUEUED


# ---- WeCom ----------------------------------------------------------------------------------


@pytest.fixture
def wecom(settings, provider):
    settings.GONGZHI_WECOM_ROBOT_BACKEND = "wecom"
    settings.GONGZHI_WECOM_APP_BACKEND = "wecom"
    settings.GONGZHI_WECOM = {
        "robot_key": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
        "corp_id": "ww1234567890",
        "corp_secret": "corp-secret",
        "agent_id": 1000002,
        "api_base": provider.url + "cgi-bin/",
    }
    cache.clear()
    yield provider
    cache.clear()


def test_wecom_robot_posts_text_to_the_webhook_key(db, wecom):
    wecom.answers += [(200, {"errcode": 0, "errmsg": "ok"})]
    outbox.enqueue(to="", channel="wecom_robot", subject="新事项", body="新事项\n渔家苑1栋楼道堆物")
    assert str(outbox.send_due()) == "sent 1, retrying 0, failed 0"
    (request,) = wecom.requests
    assert (request["method"], request["path"]) == ("POST", "/cgi-bin/webhook/send")
    assert request["query"] == {"key": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == {
        "msgtype": "text",
        "text": {"content": "新事项\n渔家苑1栋楼道堆物"},
    }


def test_wecom_robot_errors(db, wecom):
    wecom.answers += [
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
    ]
    busy = outbox.enqueue(to="key-a", channel="wecom_robot", subject="a", body="")
    wrong = outbox.enqueue(to="key-b", channel="wecom_robot", subject="b", body="")
    assert str(outbox.send_due()) == "sent 0, retrying 1, failed 1"
    busy.refresh_from_db()
    wrong.refresh_from_db()
    assert busy.status == OutboxStatus.QUEUED and "45009" in busy.last_error
    assert wrong.status == OutboxStatus.FAILED and "93000" in wrong.last_error
    assert [r["query"]["key"] for r in wecom.requests] == ["key-a", "key-b"]


def test_wecom_robot_text_is_cut_to_2048_bytes():
    backend_text = __import__("gongzhi.notifications.backends", fromlist=["wecom_text"]).wecom_text
    text = backend_text("标题", "长" * 2000)
    assert len(text.encode()) <= 2048 and text.startswith("标题\n长")


def test_wecom_app_gets_a_token_once_and_sends_to_the_member(db, wecom):
    wecom.answers += [
        (200, {"errcode": 0, "errmsg": "ok", "access_token": "TOKEN-1", "expires_in": 7200}),
        (200, {"errcode": 0, "errmsg": "ok", "invaliduser": ""}),
        (200, {"errcode": 0, "errmsg": "ok", "invaliduser": ""}),
    ]
    for _ in range(2):
        outbox.enqueue(
            to="WangJianGuo", channel="wecom_app", subject="会议通知", body="会议通知\n周四下午"
        )
    assert str(outbox.send_due()) == "sent 2, retrying 0, failed 0"
    token, first, second = wecom.requests
    assert (token["method"], token["path"]) == ("GET", "/cgi-bin/gettoken")
    assert token["query"] == {"corpid": "ww1234567890", "corpsecret": "corp-secret"}
    for sent in (first, second):
        assert (sent["method"], sent["path"]) == ("POST", "/cgi-bin/message/send")
        assert sent["query"] == {"access_token": "TOKEN-1"}
        assert json.loads(sent["body"]) == {
            "touser": "WangJianGuo",
            "msgtype": "text",
            "agentid": 1000002,
            "text": {"content": "会议通知\n周四下午"},
            "safe": 0,
        }


@pytest.mark.parametrize("expired", [42001, 40014])
def test_wecom_app_refreshes_an_expired_token_once(db, wecom, expired):
    cache.set(WeComAppBackend().cache_key, "OLD", 600)
    wecom.answers += [
        (200, {"errcode": expired, "errmsg": "access_token expired"}),
        (200, {"errcode": 0, "errmsg": "ok", "access_token": "NEW", "expires_in": 7200}),
        (200, {"errcode": 0, "errmsg": "ok"}),
    ]
    WeComAppBackend().send(to="WangJianGuo", subject="s", body="b")
    assert [r["query"].get("access_token") for r in wecom.requests] == ["OLD", None, "NEW"]
    assert cache.get(WeComAppBackend().cache_key) == "NEW"


def test_wecom_app_a_second_expiry_and_an_unknown_member_fail(db, wecom):
    cache.set(WeComAppBackend().cache_key, "OLD", 600)
    wecom.answers += [
        (200, {"errcode": 42001, "errmsg": "access_token expired"}),
        (200, {"errcode": 0, "errmsg": "ok", "access_token": "NEW", "expires_in": 7200}),
        (200, {"errcode": 42001, "errmsg": "access_token expired"}),
    ]
    with pytest.raises(SendError):
        WeComAppBackend().send(to="WangJianGuo", subject="s", body="b")
    assert len(wecom.requests) == 3  # refreshed once, not in a loop

    wecom.answers += [(200, {"errcode": 0, "errmsg": "ok", "invaliduser": "Nobody"})]
    with pytest.raises(SendError) as caught:
        WeComAppBackend().send(to="Nobody", subject="s", body="b")
    assert caught.value.permanent


def test_wecom_gettoken_error_names_the_code(db, wecom):
    wecom.answers += [(200, {"errcode": 40001, "errmsg": "invalid credential"})]
    with pytest.raises(SendError) as caught:
        WeComAppBackend().send(to="WangJianGuo", subject="s", body="b")
    assert "40001" in str(caught.value) and caught.value.permanent


def test_robot_without_key_fails_permanently(settings, wecom):
    settings.GONGZHI_WECOM = settings.GONGZHI_WECOM | {"robot_key": ""}
    with pytest.raises(SendError) as caught:
        WeComRobotBackend().send(to="", subject="s", body="b")
    assert caught.value.permanent and wecom.requests == []


def test_unknown_backend_name_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from gongzhi.notifications.outbound import backend_for

    settings.GONGZHI_SMS_BACKEND = "pigeon"
    with pytest.raises(ImproperlyConfigured):
        backend_for("sms")
    settings.GONGZHI_SMS_BACKEND = "tencent"
    settings.GONGZHI_TENCENT_SMS = {"secret_id": ""}
    with pytest.raises(ImproperlyConfigured):
        backend_for("sms")
    assert TencentSmsBackend  # the class is importable by its documented path
