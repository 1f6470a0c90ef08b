"""WeChat group paste (线上反映·微信群): turn a pasted group chat into draft matters.

Staff copy a stretch of a residents' group chat and paste it. We split it into messages
(nickname, time, text), set aside what is not a request — system lines, pictures and stickers,
thanks, greetings and one-word replies — and classify the rest in one batch. Each remaining
message becomes a draft that staff can turn into a matter with one click; nothing is written
here.

Recognised formats (one per paste, detected from the lines):

* ``pc``: the PC client's copy or export — a header line "昵称 2024-05-03 08:15:22" (also
  2024/5/3, 2024年5月3日) followed by the message lines;
* ``bracket``: one message per line, "[2024/5/3 08:15] 昵称: 内容" or "[08:15] 昵称: 内容";
* ``phone``: the phone's copy — a header line "昵称 08:15" (or "昵称 下午3:15") followed by the
  message lines; a date line ("2024年5月3日") between messages sets the day;
* ``colon``: one message per line, "昵称：内容" or "昵称: 内容".

Lines that match no header continue the message above them (multi-line messages).
"""

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.matters.errors import MatterError
from gongzhi.matters.models import MAX_TEXT_LENGTH

MAX_PASTE_LENGTH = 50_000
MAX_NICKNAME = 30

_DATE = r"(?P<date>\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)"
_CLOCK = r"(?P<ampm>凌晨|早上|上午|中午|下午|晚上)?\s*(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)"
_NICK = rf"(?P<nick>\S.{{0,{MAX_NICKNAME - 1}}}?)"

HEADERS = {
    "pc": re.compile(rf"^{_NICK}\s+{_DATE}\s+{_CLOCK}$"),
    "bracket": re.compile(
        rf"^[\[【](?:{_DATE}\s+)?{_CLOCK}[\]】]\s*(?P<nick>[^:：\s][^:：]{{0,{MAX_NICKNAME - 1}}}?)"
        r"\s*[:：]\s*(?P<text>.*)$"
    ),
    "phone": re.compile(rf"^{_NICK}\s+{_CLOCK}$"),
    # A nickname has no colon and does not start a URL ("https://…").
    "colon": re.compile(
        rf"^(?P<nick>[^:：\s\[【][^:：]{{0,{MAX_NICKNAME - 1}}}?)\s*[:：](?!//)\s*(?P<text>.+)$"
    ),
}
# A line that only sets the day: "2024年5月3日", "— 2024-05-03 —", "5月3日 星期五 08:15",
# "昨天 08:15" (the phone's separators between messages).
DATE_LINE = re.compile(
    r"^[-—=\s]*(?:(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?"
    r"|(?P<short_month>\d{1,2})月(?P<short_day>\d{1,2})日|(?P<relative>今天|昨天|前天))?"
    r"\s*(?P<weekday>(?:星期|周)[一二三四五六日天])?"
    r"(?:\s*(?:凌晨|早上|上午|中午|下午|晚上)?\s*\d{1,2}:\d{2}(?::\d{2})?)?[-—=\s]*$"
)
SYSTEM_LINE = re.compile(
    r"撤回了一条消息|加入了?群聊|移出了?群聊|退出了?群聊|修改群名为|拍了拍|"
    r"以上是打招呼的内容|你已添加了|开启了朋友验证|不是朋友关系|成为新群主|群公告已更新|"
    r"recalled a message|joined the group"
)
MEDIA = re.compile(
    r"\[(?:图片|表情|动画表情|语音|视频|文件|链接|位置|名片|小程序|聊天记录|红包|转账|音乐|"
    r"视频号|直播|Photo|Image|Sticker|Video|Voice|File|Link)\](?:\s*\d+[\"″秒]?)?",
    re.IGNORECASE,
)
# WeChat's own emoji are short bracketed names: [强] [抱拳] [微笑] [Thumbs Up].
WECHAT_EMOJI = re.compile(r"\[[\u4e00-\u9fffA-Za-z ]{1,12}\]")

_THANKS = ("谢谢", "感谢", "多谢", "谢了", "辛苦了", "辛苦", "thanks", "thankyou", "thx", "3q")
_REPLIES = (
    "收到", "好的", "好滴", "好嘞", "好", "嗯嗯", "嗯", "恩", "哦", "噢", "ok", "okay",
    "明白", "了解", "知道了", "知道", "可以", "行", "是的", "对的", "对", "没问题", "哈哈",
    "呵呵", "点赞", "赞", "顶", "同意", "支持", "在吗", "在", "是吗", "确实", "1",
    "早上好", "上午好", "中午好", "下午好", "晚上好", "大家好", "你好", "您好", "早安",
    "早", "晚安", "新年快乐", "节日快乐", "新年好",
)  # fmt: skip
# Words that may surround thanks and replies without making them a request.
_FILLERS = (
    "大家", "各位", "书记", "主任", "社区", "网格员", "物业", "老师", "师傅", "领导", "志愿者",
    "你们", "您们", "你", "您", "了", "啊", "呀", "哈", "啦", "呢", "吧", "的", "们", "哟",
    "非常", "十分", "太", "真", "很",
)  # fmt: skip


def _words(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


SMALL_TALK = re.compile(rf"(?:{_words(_THANKS + _REPLIES + _FILLERS)})+")
THANKS = re.compile(_words(_THANKS))


class Reason:
    """Why a message was set aside (stable codes; ``LABELS`` for people)."""

    SYSTEM = "system"
    MEDIA = "media"
    THANKS = "thanks"
    CHITCHAT = "chitchat"

    LABELS = {
        SYSTEM: gettext_lazy("system notice"),
        MEDIA: gettext_lazy("picture, sticker or other media"),
        THANKS: gettext_lazy("thanks"),
        CHITCHAT: gettext_lazy("chit-chat or a short reply"),
    }


@dataclass
class Message:
    nickname: str
    time: str
    at: dt.datetime | None
    text: str
    line: int

    @property
    def key(self) -> str:
        """An idempotency key: creating the same draft twice gives the same matter."""
        raw = f"{self.nickname}\n{self.time}\n{self.text}".encode()
        return "paste:" + hashlib.sha256(raw).hexdigest()[:40]


@dataclass
class SetAside:
    message: Message
    reason: str

    @property
    def reason_label(self) -> str:
        return str(Reason.LABELS[self.reason])


@dataclass
class Draft:
    message: Message
    suggestion: object

    @property
    def too_long(self) -> bool:
        return len(self.message.text) > MAX_TEXT_LENGTH


@dataclass
class ChatParse:
    format: str
    drafts: list[Draft] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


def parse_chat(text: str) -> ChatParse:
    """Split, sort out and classify a pasted chat. Bad pastes raise ``MatterError``."""
    fmt, messages = split_messages(text)
    parse = ChatParse(format=fmt)
    keep = []
    for message in messages:
        reason = set_aside_reason(message)
        if reason:
            parse.set_aside.append(SetAside(message, reason))
        else:
            keep.append(message)
    if keep:
        from gongzhi.matters.classifier import load

        suggestions = load().predict([m.text[:MAX_TEXT_LENGTH] for m in keep])
        parse.drafts = [Draft(m, s) for m, s in zip(keep, suggestions, strict=True)]
    return parse


def _clean(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    # Zero-width marks and the narrow space WeChat puts after an @mention.
    text = re.sub(r"[\u200b-\u200d\ufeff]", "", text).replace("\u2005", " ")
    if not text.strip():
        raise MatterError("invalid_paste", _("Paste the chat messages first."))
    if len(text) > MAX_PASTE_LENGTH:
        raise MatterError(
            "paste_too_long",
            _("The paste is too long: at most %(max)d characters at a time. Paste it in parts.")
            % {"max": MAX_PASTE_LENGTH},
        )
    return text


def detect_format(lines: list[str]) -> str | None:
    """The format of the paste: a strict header format wins if any line has it; between the
    loose ones (a time header or "name: text") the one more lines follow wins."""
    counts = {
        fmt: sum(1 for line in lines if pattern.match(line)) for fmt, pattern in HEADERS.items()
    }
    for fmt in ("pc", "bracket"):
        if counts[fmt]:
            return fmt
    if counts["phone"] or counts["colon"]:
        return "phone" if counts["phone"] >= counts["colon"] else "colon"
    return None


def split_messages(text: str) -> tuple[str, list[Message]]:
    """(format, messages) of a paste; system lines are messages without a nickname."""
    lines = [line.strip() for line in _clean(text).split("\n")]
    fmt = detect_format([line for line in lines if line and not DATE_LINE.match(line)])
    if fmt is None:
        raise MatterError(
            "invalid_paste",
            _(
                "No chat messages found. Paste them as copied from WeChat, for example "
                "“昵称 2024-05-03 08:15” followed by the message, or “昵称：内容” on each line."
            ),
        )
    header = HEADERS[fmt]
    messages: list[Message] = []
    current: Message | None = None
    day: dt.date | None = None
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        date_line = DATE_LINE.match(line)
        if date_line:
            day = _day(date_line, day)
            current = None
            continue
        if SYSTEM_LINE.search(line) and not header.match(line):
            messages.append(Message("", "", None, line, number))
            current = None
            continue
        match = header.match(line)
        if match:
            at, shown = _time(match, day) if "clock" in header.groupindex else (None, "")
            day = at.date() if at else day
            current = Message(match["nick"].strip(), shown, at, "", number)
            current.text = (match.groupdict().get("text") or "").strip()
            messages.append(current)
        elif current is not None:
            current.text = f"{current.text}\n{line}" if current.text else line
    for message in messages:
        message.text = message.text.strip()
    return fmt, [m for m in messages if m.text]


def _day(match: re.Match, previous: dt.date | None) -> dt.date | None:
    """The day a separator line sets (a bare time or a weekday keeps the previous day)."""
    today = timezone.localdate()
    if match["relative"]:
        return today - dt.timedelta(days=("今天", "昨天", "前天").index(match["relative"]))
    if match["weekday"] and not (match["month"] or match["short_month"]):
        return None
    if match["month"]:
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    elif match["short_month"]:
        year, month, day = today.year, int(match["short_month"]), int(match["short_day"])
    else:
        return previous
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _time(match: re.Match, day: dt.date | None) -> tuple[dt.datetime | None, str]:
    """(aware datetime if the day is known, the time as shown in a normal form)."""
    parts = [int(p) for p in match["clock"].split(":")]
    hour, minute, second = parts[0], parts[1], parts[2] if len(parts) == 3 else 0
    if match["ampm"] in ("下午", "晚上") and hour < 12:
        hour += 12
    if match["ampm"] == "中午" and hour < 11:
        hour += 12
    groups = match.groupdict()
    if groups.get("date"):
        numbers = [int(n) for n in re.findall(r"\d+", groups["date"])]
        try:
            day = dt.date(*numbers)
        except ValueError:
            day = None
    try:
        clock = dt.time(hour, minute, second)
    except ValueError:
        return None, match["clock"]
    if day is None:
        return None, clock.strftime("%H:%M")
    at = timezone.make_aware(dt.datetime.combine(day, clock))
    return at, at.strftime("%Y-%m-%d %H:%M")


def normalise(text: str) -> str:
    """Letters and digits only, lower case: what is left to judge a message by."""
    text = WECHAT_EMOJI.sub("", MEDIA.sub("", text))
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN").lower()


def set_aside_reason(message: Message) -> str | None:
    if not message.nickname:
        return Reason.SYSTEM
    if not MEDIA.sub("", message.text).strip():
        return Reason.MEDIA
    words = normalise(message.text)
    if not words:
        return Reason.CHITCHAT
    if SMALL_TALK.fullmatch(words):
        return Reason.THANKS if THANKS.search(words) else Reason.CHITCHAT
    # "谢谢张阿姨": thanks to someone by name.
    if THANKS.search(words) and len(SMALL_TALK.sub("", words)) <= 4:
        return Reason.THANKS
    return None
