"""Issue 12 defect 5: an id in a place filter larger than the database holds is a clear 400,
never a 500 (SQLite and PostgreSQL both refuse such an integer)."""

import pytest

HUGE = "99999999999999999999"
LARGE = str(2**40)  # past a 32-bit integer column, within a 64-bit one


@pytest.mark.parametrize("level", ["compound", "community", "building", "household", "grid"])
def test_a_huge_place_id_is_refused_not_a_500(client, world, level):
    client.force_login(world.users.staff_a)
    response = client.get("/api/v1/residents", {"place": f"{level}:{HUGE}"})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "bad_place"
    assert client.get("/people/", {"place": f"{level}:{HUGE}"}).status_code != 500
    large = client.get("/api/v1/residents", {"place": f"{level}:{LARGE}"})
    assert large.status_code == 200 and large.json()["count"] == 0
