"""The WeChat group paste: splitting every supported format, setting aside chit-chat, thanks,
media and system lines, refusing bad pastes, and the staff page that files drafts as matters."""

import datetime as dt

import pytest
from django.urls import path
from django.utils import timezone

from gongzhi import urls as site_urls
from gongzhi.matters import views_paste
from gongzhi.matters.chatpaste import (
    MAX_PASTE_LENGTH,
    Reason,
    parse_chat,
    set_aside_reason,
    split_messages,
)
from gongzhi.matters.models import Matter, SubmitKey
from gongzhi.matters.services import MatterError

# The paste page in front of the whole site (whose templates link to other pages).
urlpatterns = [path("matters/paste/", views_paste.paste), *site_urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)

PC = """张阿姨 2024-05-03 08:15:22
3栋楼道的灯坏了好几天了
晚上回家很黑
李四 2024-05-03 08:16:01
[图片]
"王五"撤回了一条消息
网格员小刘 2024/5/3 08:20
收到，谢谢张阿姨
赵六 2024年5月3日 09:01:00
👍
"""

PHONE = """2024年5月3日
张阿姨 08:15
楼下垃圾桶满了没人清
李四 下午3:15
好的好的
周七 18:22
停车位被外面的车占了，物业也不管
"""

BRACKET = """[2024/5/3 08:15] 张阿姨: 电梯又坏了
[2024/5/3 08:16] 李四：谢谢大家
[08:17] 王五: 有没有人管管楼上的狗，天天叫
还咬人
"""

COLON = """张阿姨：小区门口路灯不亮
李四：收到
王五: 楼上漏水到我家了，联系不上业主
https://example.com/a
"""


def triples(messages):
    return [(m.nickname, m.time, m.text) for m in messages]


# ---- formats --------------------------------------------------------------------------------


def test_pc_export_with_multi_line_messages_and_system_lines():
    fmt, messages = split_messages(PC)
    assert fmt == "pc"
    assert triples(messages) == [
        ("张阿姨", "2024-05-03 08:15", "3栋楼道的灯坏了好几天了\n晚上回家很黑"),
        ("李四", "2024-05-03 08:16", "[图片]"),
        ("", "", '"王五"撤回了一条消息'),
        ("网格员小刘", "2024-05-03 08:20", "收到，谢谢张阿姨"),
        ("赵六", "2024-05-03 09:01", "👍"),
    ]
    first = messages[0]
    assert first.at == timezone.make_aware(dt.datetime(2024, 5, 3, 8, 15, 22))
    assert first.line == 1


def test_phone_copy_takes_the_day_from_date_lines_and_reads_afternoon_times():
    fmt, messages = split_messages(PHONE)
    assert fmt == "phone"
    assert [(m.nickname, m.text) for m in messages] == [
        ("张阿姨", "楼下垃圾桶满了没人清"),
        ("李四", "好的好的"),
        ("周七", "停车位被外面的车占了，物业也不管"),
    ]
    assert messages[1].time == "2024-05-03 15:15"
    assert messages[2].at == timezone.make_aware(dt.datetime(2024, 5, 3, 18, 22))


def test_bracket_lines_keep_the_day_for_time_only_lines_and_continue_messages():
    fmt, messages = split_messages(BRACKET)
    assert fmt == "bracket"
    assert triples(messages) == [
        ("张阿姨", "2024-05-03 08:15", "电梯又坏了"),
        ("李四", "2024-05-03 08:16", "谢谢大家"),
        ("王五", "2024-05-03 08:17", "有没有人管管楼上的狗，天天叫\n还咬人"),
    ]


def test_name_colon_lines_without_times():
    fmt, messages = split_messages(COLON)
    assert fmt == "colon"
    assert triples(messages) == [
        ("张阿姨", "", "小区门口路灯不亮"),
        ("李四", "", "收到"),
        ("王五", "", "楼上漏水到我家了，联系不上业主\nhttps://example.com/a"),
    ]


def test_windows_line_ends_and_zero_width_marks_do_not_matter():
    fmt, messages = split_messages("\ufeff张阿姨：路灯\u200b不亮\r\n李四：收到\r\n")
    assert fmt == "colon"
    assert triples(messages) == [("张阿姨", "", "路灯不亮"), ("李四", "", "收到")]


# ---- what is set aside ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("谢谢", Reason.THANKS),
        ("谢谢大家！辛苦了🙏", Reason.THANKS),
        ("收到，谢谢张阿姨", Reason.THANKS),
        ("感谢书记", Reason.THANKS),
        ("收到", Reason.CHITCHAT),
        ("好的好的", Reason.CHITCHAT),
        ("大家早上好", Reason.CHITCHAT),
        ("👍👍", Reason.CHITCHAT),
        ("[强][抱拳]", Reason.CHITCHAT),
        ("+1", Reason.CHITCHAT),
        ("[图片]", Reason.MEDIA),
        ('[语音] 5"', Reason.MEDIA),
        ("楼道灯坏了", None),
        ("你好，我家楼上漏水了", None),
        ("不行，电梯还是坏的", None),
        ("感谢物业及时修好了电梯，但是二楼的灯还是不亮", None),
    ],
)
def test_set_aside_reason(text, reason):
    fmt, [message] = split_messages(f"居民甲：{text}")
    assert set_aside_reason(message) == reason


def test_system_lines_are_set_aside_as_system():
    fmt, messages = split_messages('张阿姨：路灯不亮\n"小王"邀请"小李"加入了群聊\n李四：收到')
    assert [set_aside_reason(m) for m in messages] == [None, Reason.SYSTEM, Reason.CHITCHAT]


# ---- bad pastes -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n  \n"])
def test_empty_paste_is_refused(text):
    with pytest.raises(MatterError) as excinfo:
        parse_chat(text)
    assert excinfo.value.code == "invalid_paste"


def test_paste_without_any_message_is_refused_with_an_example():
    with pytest.raises(MatterError) as excinfo:
        parse_chat("这是一段没有昵称也没有时间的文字\n第二行也一样")
    assert excinfo.value.code == "invalid_paste"
    assert "昵称" in excinfo.value.message


def test_oversize_paste_is_refused():
    line = "张阿姨：路灯不亮\n"
    text = line * (MAX_PASTE_LENGTH // len(line) + 1)
    assert len(text) > MAX_PASTE_LENGTH
    with pytest.raises(MatterError) as excinfo:
        parse_chat(text)
    assert excinfo.value.code == "paste_too_long"


# ---- classification -------------------------------------------------------------------------


def test_remaining_messages_are_classified_in_one_batch(monkeypatch):
    from gongzhi.matters import classifier

    calls = []
    model = classifier.load()
    real_predict = model.predict

    def counting_predict(texts):
        calls.append(list(texts))
        return real_predict(texts)

    monkeypatch.setattr(model, "predict", counting_predict)
    parse = parse_chat(PC + "孙八 2024-05-03 10:00:00\n小区门口有人乱停车，堵住了消防通道\n")
    assert [d.message.nickname for d in parse.drafts] == ["张阿姨", "孙八"]
    assert calls == [[d.message.text for d in parse.drafts]]
    suggestion = parse.drafts[0].suggestion
    assert suggestion.category and suggestion.tier and 0 <= suggestion.confidence <= 1
    assert sorted((s.message.nickname, s.reason) for s in parse.set_aside) == [
        ("", Reason.SYSTEM),
        ("李四", Reason.MEDIA),
        ("网格员小刘", Reason.THANKS),
        ("赵六", Reason.CHITCHAT),
    ]


def test_only_chit_chat_gives_no_drafts_and_no_error():
    parse = parse_chat("李四：收到\n王五：谢谢")
    assert parse.drafts == [] and len(parse.set_aside) == 2


# ---- the staff page -------------------------------------------------------------------------


def test_staff_paste_shows_drafts_and_set_aside_messages(client, world):
    client.force_login(world.users.staff_a)
    response = client.post("/matters/paste/", {"text": PC, "place": f"building:{world.y1.pk}"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "3栋楼道的灯坏了好几天了" in page and 'name="action" value="create"' in page
    assert page.count('value="create"') == 1
    assert "收到，谢谢张阿姨" in page  # listed among the set-aside messages
    assert f'value="building:{world.y1.pk}" selected' in page
    assert f"building:{world.n1.pk}" not in page  # community B is not offered


def test_malformed_paste_shows_the_error_and_creates_nothing(client, world):
    client.force_login(world.users.staff_a)
    response = client.post("/matters/paste/", {"text": "没有任何格式的一段话"})
    assert response.status_code == 400
    assert "昵称" in response.content.decode()
    assert not Matter.objects.exists()


def create_draft(client, **data):
    return client.post("/matters/paste/", {"action": "create", **data}, HTTP_HX_REQUEST="true")


def test_one_click_creates_a_wechat_matter_once(client, world):
    client.force_login(world.users.staff_a)
    draft = {
        "nickname": "张阿姨",
        "time": "2024-05-03 08:15",
        "text": "3栋楼道的灯坏了好几天了\r\n晚上回家很黑",
        "place": f"building:{world.y1.pk}",
        "category": "facilities",
        "tier": "small",
    }
    first = create_draft(client, **draft)
    again = create_draft(client, **draft)
    matter = Matter.objects.get()
    assert first.status_code == again.status_code == 200
    assert f"#{matter.pk}" in first.content.decode() and f"#{matter.pk}" in again.content.decode()
    assert matter.channel == "online_wechat" and matter.reporter_name == "张阿姨"
    assert matter.text == "3栋楼道的灯坏了好几天了\n晚上回家很黑"
    assert matter.building == world.y1 and matter.entered_by == world.users.staff_a
    assert (matter.category, matter.tier) == ("facilities", "small")
    assert SubmitKey.objects.count() == 1


def test_creating_a_draft_in_another_community_is_refused(client, world):
    client.force_login(world.users.staff_a)
    response = create_draft(
        client, nickname="张阿姨", text="路灯不亮", place=f"building:{world.n1.pk}"
    )
    assert response.status_code == 200  # htmx swaps the card with its error
    assert 'role="alert"' in response.content.decode()
    assert not Matter.objects.exists()


def test_creating_a_draft_without_a_place_is_refused(client, world):
    client.force_login(world.users.staff_a)
    response = client.post(
        "/matters/paste/", {"action": "create", "nickname": "张阿姨", "text": "路灯不亮"}
    )
    assert response.status_code == 400
    assert not Matter.objects.exists()


@pytest.mark.parametrize("persona", ["resident_a", "partner_a"])
def test_residents_and_partners_cannot_use_the_paste(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get("/matters/paste/").status_code == 403
    refused = create_draft(client, nickname="x", text="路灯不亮", place=f"building:{world.y1.pk}")
    assert refused.status_code == 403
    assert not Matter.objects.exists()
