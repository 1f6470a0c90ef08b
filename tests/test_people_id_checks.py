"""Defect 4: ID numbers with a birth date in the future or a made-up area code are refused, by
the validator and by the residents import (row, column, Chinese reason; nothing imported)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override

from gongzhi.core.identity import id_check_digit, normalize_id_number
from gongzhi.people.excel import RESIDENT_HEADERS, import_residents
from tests.factories import make_id_number
from tests.helpers import registry_counts, resident_row, xlsx


def with_check_digit(first17: str) -> str:
    return first17 + id_check_digit(first17)


def test_a_birth_date_in_the_future_is_refused_in_chinese():
    number = with_check_digit("42010520990101001")
    with override("zh-hans"), pytest.raises(ValidationError) as caught:
        normalize_id_number(number)
    assert caught.value.messages == ["身份证号中的出生日期是将来的日期（2099-01-01）"]


def test_tomorrow_is_in_the_future_and_today_is_not():
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        normalize_id_number(make_id_number(tomorrow))
    assert normalize_id_number(number := make_id_number(today)) == number


@pytest.mark.parametrize("area", ["000000", "000001", "990101", "100105"])
def test_an_area_code_of_no_province_is_refused_in_chinese(area):
    number = with_check_digit(f"{area}19600517001")
    with override("zh-hans"), pytest.raises(ValidationError) as caught:
        normalize_id_number(number)
    assert caught.value.messages == [f"身份证号开头的 {area} 不是任何省份的地区代码"]


@pytest.mark.parametrize("area", ["420105", "110105", "650102", "810000", "830000"])
def test_real_area_codes_pass(area):
    number = with_check_digit(f"{area}19600517001")
    assert normalize_id_number(number) == number


def test_a_birth_year_before_1890_is_impossible():
    with pytest.raises(ValidationError):
        normalize_id_number(with_check_digit("42010518800101001"))


def test_the_check_digit_is_still_checked():
    first17 = "42010519600517001"
    wrong = "0" if id_check_digit(first17) != "0" else "1"
    with override("zh-hans"), pytest.raises(ValidationError) as caught:
        normalize_id_number(first17 + wrong)
    assert caught.value.messages == ["身份证号校验位有误"]


def test_import_refuses_future_birth_and_area_000000_and_imports_nothing(world):
    rows = [
        resident_row(门牌号="301"),  # row 2: fine
        resident_row(门牌号="302", 身份证号=with_check_digit("42010520990101001")),  # row 3
        resident_row(门牌号="303", 身份证号=with_check_digit("00000019600517001")),  # row 4
    ]
    before = registry_counts()

    with override("zh-hans"):
        result = import_residents(xlsx(RESIDENT_HEADERS, rows), user=world.users.staff_a)

    assert not result.ok and result.created == 0
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "身份证号", "身份证号中的出生日期是将来的日期（2099-01-01）"),
        (4, "身份证号", "身份证号开头的 000000 不是任何省份的地区代码"),
    ]
    assert registry_counts() == before
