"""Invitation letters link an account to a household once; QR posters lead to the right place."""

import re
import zlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gongzhi.accounts import services
from gongzhi.accounts.models import InvitationCode, SignUp, SignUpStatus
from gongzhi.matters.models import Matter
from gongzhi.notifications.models import Outbox
from tests.conftest import login
from tests.helpers import NEW_PHONE, PASSWORD, request_code, sent_code

BASE = "https://gz.example.cn"


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", content))


def pdf_links(content: bytes) -> list[str]:
    """The URIs of the link annotations (one per QR code), in page order."""
    return [m.decode() for m in re.findall(rb"/URI\s*\((.*?)\)", content)]


def pdf_text_streams(content: bytes) -> bytes:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    out = b""
    for raw in streams:
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            out += raw
    return out


def test_posters_have_one_page_per_building_and_compound_and_links_open_the_place(
    world, client, tmp_path
):
    path = tmp_path / "posters.pdf"
    call_command("qr_posters", community="X社区", output=str(path), base_url=BASE)
    content = path.read_bytes()
    # X社区: compounds 渔家苑 (1栋, 2栋) and 锦绣园 (1栋) → 2 compounds + 3 buildings.
    assert pdf_pages(content) == 5
    links = pdf_links(content)
    assert links == [
        f"{BASE}/r/c/{world.yujia.pk}/",
        f"{BASE}/r/b/{world.y1.pk}/",
        f"{BASE}/r/b/{world.y2.pk}/",
        f"{BASE}/r/c/{world.jinxiu.pk}/",
        f"{BASE}/r/b/{world.j1.pk}/",
    ]
    assert b"FontFile2" in content  # the Chinese font is embedded, not referenced
    page = client.get(links[2].removeprefix(BASE)).content.decode()
    assert "渔家苑 2栋" in page and "X社区" in page
    page = client.get(links[0].removeprefix(BASE)).content.decode()
    assert "渔家苑" in page and "公共区域" in page


def test_posters_refuse_an_unknown_community(world, tmp_path):
    with pytest.raises(CommandError):
        call_command("qr_posters", community="无此社区", output=str(tmp_path / "p.pdf"))


def test_report_link_api_gives_the_absolute_stable_url(world, client):
    login(client, world.users.staff_a)
    response = client.get(f"/api/v1/places/buildings/{world.y1.pk}/report-link")
    assert response.status_code == 200
    assert response.json() == {"url": f"http://testserver/r/b/{world.y1.pk}/"}
    login(client, world.users.staff_b)
    assert client.get(f"/api/v1/places/buildings/{world.y1.pk}/report-link").status_code == 404


def test_anonymous_scan_report_needs_a_verified_phone(world, client):
    url = f"/r/b/{world.y2.pk}/"
    refused = client.post(url, {"text": "楼道灯坏了"})
    assert refused.status_code == 400
    assert "未验证手机号的反映无法受理" in refused.content.decode()
    client.post(url, {"text": "楼道灯坏了", "phone": NEW_PHONE, "send_code": "1"})
    code = sent_code(NEW_PHONE)
    wrong = client.post(
        url, {"text": "楼道灯坏了", "phone": NEW_PHONE, "code": f"{(int(code) + 1) % 10**6:06d}"}
    )
    assert wrong.status_code == 400 and not Matter.objects.exists()
    done = client.post(url, {"text": "楼道灯坏了", "phone": NEW_PHONE, "code": code})
    assert done.status_code == 200
    matter = Matter.objects.get()
    assert matter.building == world.y2 and matter.community == world.a
    assert matter.channel == "online_web" and matter.reporter is None
    assert matter.reporter_contact == NEW_PHONE  # kept encrypted by the field
    assert matter.entered_by is None
    again = client.post(url, {"text": "又一件", "phone": NEW_PHONE, "code": code})
    assert again.status_code == 400 and Matter.objects.count() == 1


def test_signed_in_resident_reports_as_themselves(world, client):
    login(client, world.users.resident_a)
    response = client.post(f"/r/b/{world.y1.pk}/", {"text": "电梯异响"})
    assert response.status_code == 302
    matter = Matter.objects.get()
    assert matter.reporter == world.res_a and matter.building == world.y1


def letters_for(world, building, tmp_path) -> list[str]:
    path = tmp_path / "letters.pdf"
    call_command("invitation_letters", building="渔家苑 1栋", output=str(path), base_url=BASE)
    content = path.read_bytes()
    assert pdf_pages(content) == building.units.first().households.count()
    return [link.rsplit("/", 2)[-2] for link in pdf_links(content)]


def test_a_letter_code_works_once_and_reprinting_revokes(world, client, tmp_path):
    codes = letters_for(world, world.y1, tmp_path)
    assert len(codes) == 2  # 101 and 102
    assert InvitationCode.objects.count() == 2
    assert not any(code in row.digest for row in InvitationCode.objects.all() for code in codes)

    # 赵敏 (渔家苑 1栋1单元102) signs up with a new number and the letter of her household.
    household_code = next(
        code
        for code in codes
        if services._letter_find(code).household == world.h_y1b  # noqa: SLF001
    )
    request_code(client, NEW_PHONE)
    response = client.post(
        "/api/v1/auth/sign-up",
        {
            "phone": NEW_PHONE,
            "code": sent_code(NEW_PHONE),
            "name": "赵敏",
            "password": PASSWORD,
            "letter_code": household_code.lower(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["status"] == "linked"
    signup = SignUp.objects.get()
    assert signup.user.profile.resident == world.res_y1b

    # Used once: a second person cannot use it.
    with pytest.raises(services.AccountError):
        services._letter_find(household_code)  # noqa: SLF001
    # Reprinting revokes the unused code of 101.
    other = next(code for code in codes if code != household_code)
    letters_for(world, world.y1, tmp_path)
    with pytest.raises(services.AccountError):
        services._letter_find(other)  # noqa: SLF001


def test_a_letter_without_a_member_of_that_name_leaves_the_household_to_staff(world, client):
    letters = services.letters_issue(actor=world.users.staff_a, building=world.y1)
    household, code = next((h, c) for h, c in letters if h == world.h_y1)
    request_code(client, NEW_PHONE)
    response = client.post(
        "/api/v1/auth/sign-up",
        {
            "phone": NEW_PHONE,
            "code": sent_code(NEW_PHONE),
            "name": "王小明",
            "password": PASSWORD,
            "letter_code": code,
        },
        content_type="application/json",
    )
    assert response.json()["status"] == "pending"
    signup = SignUp.objects.get()
    assert signup.household == household and signup.status == SignUpStatus.PENDING
    login(client, world.users.staff_a)
    page = client.get(f"/accounts/pending/{signup.pk}/").content.decode()
    assert "王建国" in page and "李秀英" in page  # the household's members offered first


def test_staff_of_another_community_cannot_print_letters(world, client):
    login(client, world.users.staff_b)
    assert client.post(f"/accounts/letters/{world.y1.pk}/").status_code == 404
    login(client, world.users.staff_a)
    response = client.post(f"/accounts/letters/{world.y1.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert pdf_pages(response.content) == 2
    login(client, world.users.grid_a1)
    assert client.post(f"/accounts/letters/{world.y1.pk}/").status_code == 403
    assert not Outbox.objects.exists()
