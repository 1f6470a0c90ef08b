"""The registry through the browser's eyes: pages, scope, masking, filters, exports."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gongzhi.core.excel import XLSX_CONTENT_TYPE
from gongzhi.listing.pages import PAGE_SIZE
from gongzhi.people.models import Tag
from gongzhi.places.models import Building
from tests.conftest import login
from tests.factories import make_household, make_resident

A_RESIDENTS = ["王建国", "李秀英", "赵敏", "孙立", "周芳"]
GRID_A1_RESIDENTS = ["王建国", "李秀英", "赵敏"]


def html(response) -> str:
    return response.content.decode()


def get(client, user, name, *args, **params):
    login(client, user)
    return client.get(reverse(name, args=args), params)


# --- every page renders for the people it is for -------------------------------------------

LIST_PAGES = [
    "core:home",
    "places:tree",
    "people:residents",
    "people:households",
    "partners:partners",
    "partners:teams",
    "partners:organisations",
]


@pytest.mark.parametrize("persona", ["official", "staff_a", "grid_a1", "partner_a", "resident_a"])
@pytest.mark.parametrize("page", LIST_PAGES)
def test_list_pages_render_for_every_persona(client, world, persona, page):
    response = get(client, getattr(world.users, persona), page)
    assert response.status_code == 200


def test_admin_sees_every_page(client, world):
    for page in LIST_PAGES:
        assert get(client, world.users.admin, page).status_code == 200


def test_detail_pages_render_for_staff(client, world):
    staff = world.users.staff_a
    pages = [
        ("places:building", world.y1.pk),
        ("places:unit", world.h_y1.unit_id),
        ("people:resident", world.res_a.pk),
        ("people:household", world.h_y1.pk),
        ("partners:partner", world.p_neighbour.pk),
        ("partners:team", world.team_a.pk),
        ("partners:organisation", world.org_a.pk),
    ]
    for name, pk in pages:
        response = get(client, staff, name, pk)
        assert response.status_code == 200, name


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("people:residents"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- scope through the web -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "attr"),
    [
        ("people:resident", "res_a"),
        ("people:household", "h_y1"),
        ("places:building", "y1"),
        ("partners:partner", "p_neighbour"),
        ("partners:team", "team_a"),
        ("partners:organisation", "org_a"),
    ],
)
def test_staff_of_community_b_gets_404_on_community_a(client, world, name, attr):
    response = get(client, world.users.staff_b, name, getattr(world, attr).pk)
    assert response.status_code == 404


def test_staff_of_community_b_never_sees_a_names_in_lists(client, world):
    for page in LIST_PAGES:
        page_html = html(get(client, world.users.staff_b, page))
        for name in [*A_RESIDENTS, "渔家苑", "X社区居委会", "陈下沉"]:
            assert name not in page_html, (page, name)
    assert "吴刚" in html(get(client, world.users.staff_b, "people:residents"))


def test_grid_worker_sees_only_own_grid_residents(client, world):
    page_html = html(get(client, world.users.grid_a1, "people:residents"))
    for name in GRID_A1_RESIDENTS:
        assert name in page_html
    for name in ["孙立", "周芳", "吴刚"]:
        assert name not in page_html


def test_grid_worker_gets_404_on_resident_of_another_grid(client, world):
    assert get(client, world.users.grid_a1, "people:resident", world.res_j1.pk).status_code == 404


def test_grid_worker_sees_no_households_of_another_grid_on_a_building_page(client, world):
    response = get(client, world.users.grid_a1, "places:building", world.y2.pk)
    assert response.status_code == 200
    assert "201" not in html(response)


def test_partner_sees_the_directory_but_no_residents(client, world):
    user = world.users.partner_a
    assert "王建国" in html(get(client, user, "partners:partners"))
    residents_html = html(get(client, user, "people:residents"))
    for name in A_RESIDENTS:
        assert name not in residents_html
    assert get(client, user, "people:resident", world.res_a.pk).status_code == 404


def test_resident_sees_only_own_household(client, world):
    user = world.users.resident_a
    page_html = html(get(client, user, "people:residents"))
    assert "王建国" in page_html
    assert "李秀英" in page_html
    assert "赵敏" not in page_html
    assert get(client, user, "people:household", world.h_y1b.pk).status_code == 404


def test_partner_detail_links_resident_only_for_registry_readers(client, world):
    resident_url = reverse("people:resident", args=[world.res_a.pk])
    staff_html = html(get(client, world.users.staff_a, "partners:partner", world.p_neighbour.pk))
    assert resident_url in staff_html
    partner_html = html(
        get(client, world.users.partner_a, "partners:partner", world.p_neighbour.pk)
    )
    assert resident_url not in partner_html


# --- personal data is masked ---------------------------------------------------------------


def test_resident_detail_shows_masked_id_and_phone(client, world):
    page_html = html(get(client, world.users.staff_a, "people:resident", world.res_a_spouse.pk))
    assert world.res_a_spouse.id_number_masked in page_html
    assert "139****4321" in page_html
    assert world.res_a_spouse.id_number not in page_html
    assert "13987654321" not in page_html
    assert world.h_y1.label in page_html


def test_raw_id_numbers_and_phones_never_in_html(client, world):
    raw = [r.id_number for r in (world.res_a, world.res_a_spouse, world.res_y1b)]
    raw += ["13812345678", "13987654321", "13900001111", "13700001234"]
    pages = [
        ("people:residents", ()),
        ("people:households", ()),
        ("people:resident", (world.res_a.pk,)),
        ("people:household", (world.h_y1.pk,)),
        ("places:building", (world.y1.pk,)),
        ("partners:partners", ()),
        ("partners:partner", (world.p_neighbour.pk,)),
        ("partners:organisations", ()),
        ("partners:organisation", (world.org_a.pk,)),
    ]
    for name, args in pages:
        page_html = html(get(client, world.users.staff_a, name, *args))
        for value in raw:
            assert value not in page_html, (name, value)


# --- filters, pagination, htmx -------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    ["people:residents", "people:households", "partners:partners", "partners:teams"],
)
def test_bad_place_parameter_is_a_400_with_a_message(client, world, page):
    response = get(client, world.users.staff_a, page, place="street:x")
    assert response.status_code == 400
    assert "street:x" in html(response)


def test_unknown_choice_is_a_400(client, world):
    response = get(client, world.users.staff_a, "partners:partners", kind="wizard")
    assert response.status_code == 400
    assert "wizard" in html(response)


def test_place_filter_narrows_residents(client, world):
    page_html = html(
        get(client, world.users.staff_a, "people:residents", place=f"compound:{world.jinxiu.pk}")
    )
    assert "周芳" in page_html
    assert "王建国" not in page_html


def test_place_filter_cannot_widen_scope(client, world):
    page_html = html(
        get(client, world.users.staff_b, "people:residents", place=f"compound:{world.yujia.pk}")
    )
    for name in A_RESIDENTS:
        assert name not in page_html


def test_place_filter_offers_only_reachable_places(client, world):
    page_html = html(get(client, world.users.staff_a, "people:residents"))
    assert f'value="compound:{world.yujia.pk}"' in page_html
    assert f'value="grid:{world.grid_a1.pk}"' in page_html
    assert f'value="compound:{world.jiangnan.pk}"' not in page_html


def test_tag_gender_and_search_filters(client, world):
    tag = Tag.objects.create(name="测试独居")
    world.res_y1b.tags.add(tag)
    staff = world.users.staff_a
    tagged = html(get(client, staff, "people:residents", tag="测试独居"))
    assert "赵敏" in tagged
    assert "王建国" not in tagged
    women = html(get(client, staff, "people:residents", gender="F"))
    assert "周芳" in women
    assert "孙立" not in women
    found = html(get(client, staff, "people:residents", q="秀英"))
    assert "李秀英" in found
    assert "赵敏" not in found


def test_partner_filters(client, world):
    staff = world.users.staff_a
    neighbours = html(get(client, staff, "partners:partners", kind="neighbour"))
    assert "王建国" in neighbours
    assert "陈下沉" not in neighbours
    in_building = html(get(client, staff, "partners:partners", place=f"building:{world.y1.pk}"))
    assert "王建国" in in_building
    assert "孙立" not in in_building


def test_resident_list_paginates_by_twenty(client, world):
    household = make_household(world.y1, "901")
    for number in range(PAGE_SIZE + 5):
        make_resident(household, f"住户{number:02d}", relation="other")
    staff = world.users.staff_a
    first = get(client, staff, "people:residents", place=f"building:{world.y1.pk}")
    assert len(first.context["rows"]) == PAGE_SIZE
    assert "王建国" in html(first)
    second = get(client, staff, "people:residents", place=f"building:{world.y1.pk}", page=2)
    second_html = html(second)
    # building 1栋 has 3 + 25 residents: 8 on the second page, the first ones are not repeated.
    assert "住户24" in second_html
    assert "王建国" not in second_html
    assert second.context["page"].number == 2
    assert len(second.context["rows"]) == 3 + PAGE_SIZE + 5 - PAGE_SIZE


def test_out_of_range_page_shows_the_last_page(client, world):
    response = get(client, world.users.staff_a, "people:residents", page=99)
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_htmx_request_returns_only_the_results(client, world):
    login(client, world.users.staff_a)
    response = client.get(reverse("people:residents"), {"q": "王"}, headers={"HX-Request": "true"})
    body = html(response)
    assert response.status_code == 200
    assert "<table" in body
    assert "王建国" in body
    assert "<html" not in body
    assert 'name="place"' not in body
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, world):
    login(client, world.users.staff_a)
    response = client.get(
        reverse("people:residents"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in html(response)


def test_full_page_works_without_htmx(client, world):
    body = html(get(client, world.users.staff_a, "people:residents", q="王"))
    assert "<html" in body
    assert 'hx-get="/people/"' in body
    assert 'id="results"' in body


def test_import_link_only_for_managers(client, world):
    import_url = reverse("people:import")
    assert import_url in html(get(client, world.users.staff_a, "people:residents"))
    assert import_url not in html(get(client, world.users.grid_a1, "people:residents"))


# --- exports -------------------------------------------------------------------------------


def _sheet_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        " ".join(str(value) for value in row if value is not None)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


@pytest.mark.parametrize(
    "page",
    [
        "people:residents",
        "people:households",
        "partners:partners",
        "partners:teams",
        "partners:organisations",
    ],
)
def test_every_list_exports_excel(client, world, page):
    response = get(client, world.users.staff_a, page, format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]


def test_resident_export_follows_scope_and_filters_and_is_masked(client, world):
    response = get(
        client,
        world.users.staff_a,
        "people:residents",
        format="xlsx",
        place=f"building:{world.y1.pk}",
    )
    text = _sheet_text(response)
    assert "王建国" in text
    assert "孙立" not in text
    assert world.res_a.id_number not in text
    assert "13812345678" not in text
    b_text = _sheet_text(get(client, world.users.staff_b, "people:residents", format="xlsx"))
    assert "吴刚" in b_text
    for name in A_RESIDENTS:
        assert name not in b_text


def test_export_link_keeps_filters(client, world):
    body = html(get(client, world.users.staff_a, "people:residents", gender="F"))
    assert "?gender=F&amp;format=xlsx" in body


# --- place tree and home -------------------------------------------------------------------


def test_place_tree_shows_counts(client, world):
    response = get(client, world.users.staff_a, "places:tree")
    tree = response.context["communities"]
    assert [node.community.name for node in tree] == ["X社区"]
    yujia = next(c for c in tree[0].compounds if c.compound == world.yujia)
    assert (yujia.counts.households, yujia.counts.residents) == (3, 4)
    assert (tree[0].counts.households, tree[0].counts.residents) == (4, 5)
    assert reverse("places:building", args=[world.y1.pk]) in html(response)


def test_place_tree_counts_follow_the_grid(client, world):
    tree = get(client, world.users.grid_a1, "places:tree").context["communities"]
    assert (tree[0].counts.households, tree[0].counts.residents) == (2, 3)


def test_building_page_lists_units_and_households(client, world):
    body = html(get(client, world.users.staff_a, "places:building", world.y1.pk))
    assert "1单元101" in body
    assert "1单元102" in body
    assert reverse("people:household", args=[world.h_y1.pk]) in body
    assert "王建国" in body  # the building's neighbour partner


def test_staff_home_counts_their_reach(client, world):
    summary = get(client, world.users.staff_a, "core:home").context["summary"]
    assert summary["households"] == 4
    assert summary["residents"] == 5
    assert summary["teams"] == 1
    assert [count for _label, count in summary["partners_by_kind"]] == [1, 1, 1]


def test_grid_worker_home_counts_the_grid(client, world):
    summary = get(client, world.users.grid_a1, "core:home").context["summary"]
    assert (summary["households"], summary["residents"]) == (2, 3)


def test_partner_home_shows_own_card_and_teams(client, world):
    response = get(client, world.users.partner_a, "core:home")
    assert response.context["partner"] == world.p_neighbour
    assert "渔家苑志愿服务队" in html(response)


def test_resident_home_shows_household_and_nearby_partners(client, world):
    response = get(client, world.users.resident_a, "core:home")
    assert response.context["household"] == world.h_y1
    body = html(response)
    assert world.h_y1.label in body
    assert "孙立" in body  # construction partner of 渔家苑


# --- query counts --------------------------------------------------------------------------


def _add_residents(building, count: int) -> None:
    for number in range(count):
        household = make_household(building, f"5{number:02d}", unit_name=f"{number % 3 + 1}单元")
        make_resident(household, f"新居民{number}")


def test_resident_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    login(client, world.users.staff_a)
    url = reverse("people:residents")
    # session, user, profile, count, rows, tags prefetch, tag options, 4 place-filter lists,
    # the audit record (savepoint, its place, insert, release)
    with django_assert_num_queries(16):
        client.get(url)
    _add_residents(world.y2, 15)
    with django_assert_num_queries(16):
        client.get(url)


def test_place_tree_query_count_does_not_grow(client, world, django_assert_num_queries):
    login(client, world.users.staff_a)
    url = reverse("places:tree")
    # session, user, profile, compounds, buildings, counts
    with django_assert_num_queries(7):
        client.get(url)
    _add_residents(world.y2, 10)
    Building.objects.create(compound=world.jinxiu, name="9栋", number=9)
    with django_assert_num_queries(7):
        client.get(url)


def test_home_query_count(client, world, django_assert_num_queries):
    login(client, world.users.staff_a)
    # session, user, profile, households, residents, partners by kind, teams, organisations;
    # the to-do: a count and the most urgent rows for each of staff's 11 parts (tests/test_todo.py)
    with django_assert_num_queries(31):
        client.get(reverse("core:home"))


def test_building_page_query_count(client, world, django_assert_num_queries):
    login(client, world.users.staff_a)
    url = reverse("places:building", args=[world.y1.pk])
    # session, user, profile, building, households, units, partners, skills, roles
    with django_assert_num_queries(10):
        client.get(url)
    _add_residents(world.y1, 12)
    with django_assert_num_queries(10):
        client.get(url)


# --- admin ---------------------------------------------------------------------------------


def test_admin_resident_list_shows_masked_ids_only(client, world):
    login(client, world.users.admin)
    body = html(client.get(reverse("admin:people_resident_changelist")))
    assert world.res_a.id_number_masked in body
    assert world.res_a.id_number not in body
    assert "13812345678" not in body


def test_admin_partner_and_organisation_lists_mask_phones(client, world):
    login(client, world.users.admin)
    partners = html(client.get(reverse("admin:partners_partner_changelist")))
    assert "139****1111" in partners
    assert "13900001111" not in partners
    organisations = html(client.get(reverse("admin:partners_organisation_changelist")))
    assert "137****1234" in organisations
    assert "13700001234" not in organisations


def test_admin_pages_load(client, world):
    login(client, world.users.admin)
    for name in [
        "admin:index",
        "admin:places_building_changelist",
        "admin:places_household_changelist",
        "admin:people_resident_add",
        "admin:partners_team_changelist",
        "admin:auth_user_changelist",
        "admin:accounts_apitoken_changelist",
    ]:
        assert client.get(reverse(name)).status_code == 200, name
    change = reverse("admin:people_resident_change", args=[world.res_a.pk])
    assert client.get(change).status_code == 200


def test_admin_is_closed_to_staff(client, world):
    login(client, world.users.staff_a)
    response = client.get(reverse("admin:people_resident_changelist"))
    assert response.status_code == 302
