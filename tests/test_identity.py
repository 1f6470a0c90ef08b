import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gongzhi.core import crypto
from gongzhi.core.identity import mask_id_number, mask_phone, normalize_id_number, normalize_phone
from gongzhi.core.logging import redact
from gongzhi.people.models import Resident


def test_valid_id_number_is_normalised():
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    "bad", ["", "12345", "110105194912310021", "11010519491331002X", "1101051949123100AX"]
)
def test_bad_id_numbers_are_refused_with_a_reason(bad):
    with pytest.raises(ValidationError):
        normalize_id_number(bad)


def test_phone_formats():
    assert normalize_phone("138 1234 5678") == "13812345678"
    assert normalize_phone("+8613812345678") == "13812345678"
    assert normalize_phone("027-84841234") == "027-84841234"
    with pytest.raises(ValidationError):
        normalize_phone("12345")


def test_masks():
    assert mask_id_number("420105196005170011") == "4201**********0011"
    assert mask_phone("13812345678") == "138****5678"


def test_id_number_and_phone_are_encrypted_at_rest(world):
    resident = world.res_a
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM people_resident WHERE id = %s", [resident.id])
        raw_id, raw_phone = cursor.fetchone()
    assert resident.id_number not in raw_id
    assert resident.id_number[-4:] not in raw_id
    assert "13812345678" not in raw_phone
    assert Resident.objects.get(pk=resident.pk).id_number == resident.id_number


def test_key_rotation_keeps_old_values_readable(world, settings):
    old_token = crypto.encrypt("13812345678")
    new_key = crypto.generate_field_key()
    settings.GONGZHI_FIELD_KEY = f"{new_key},{settings.GONGZHI_FIELD_KEY}"
    assert crypto.decrypt(old_token) == "13812345678"
    rotated = crypto.rotate(old_token)
    settings.GONGZHI_FIELD_KEY = new_key
    assert crypto.decrypt(rotated) == "13812345678"


def test_logs_never_carry_id_numbers_or_phones():
    text = redact("resident 420105196005170011 phone 13812345678 called")
    assert "420105196005170011" not in text and "13812345678" not in text


def test_rotate_field_key_command_reencrypts_and_keeps_lookups(world, settings):
    from django.core.management import call_command

    from gongzhi.people.models import Resident

    new_key = crypto.generate_field_key()
    settings.GONGZHI_FIELD_KEY = f"{new_key},{settings.GONGZHI_FIELD_KEY}"
    call_command("rotate_field_key", stdout=__import__("io").StringIO())
    settings.GONGZHI_FIELD_KEY = new_key  # the old key is gone: everything must still read
    resident = Resident.objects.get(pk=world.res_a.pk)
    assert resident.phone == "13812345678"
    assert Resident.objects.filter(id_number_digest=crypto.digest(resident.id_number)).exists()
