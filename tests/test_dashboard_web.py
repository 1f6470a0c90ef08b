"""The scope dashboard and the annual report: figures equal ``overview``, every number links
to the list behind it, scope isolation for every persona on the page and every export, pinned
query counts, and the report's .docx / .xlsx."""

import datetime as dt
import io
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from docx import Document
from openpyxl import load_workbook

from gongzhi.core.overview import overview
from gongzhi.core.places import Place
from gongzhi.insights.dashboard import Period, figures
from gongzhi.insights.rollup import rollup
from tests.factories_matters import make_matter

URL = "/dashboard/"
REPORT = "/dashboard/report/"


@pytest.fixture(autouse=True)
def english(settings):
    """Assert on the English source strings."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def login(client, world, name):
    client.force_login(getattr(world.users, name))
    return client


def this_year():
    today = timezone.localdate()
    return Period(today.replace(month=1, day=1), today)


def matters(world, count, *, building=None, category="facilities"):
    now = timezone.now()
    made = [
        make_matter(
            building=building or world.y1,
            category=category,
            created_at=now - dt.timedelta(minutes=i + 1),
        )
        for i in range(count)
    ]
    rollup(full=True)
    return made


def section(result, key):
    return next(s for s in result["sections"] if s["key"] == key)


def value(result, key, label):
    rows = section(result, key)["rows"]
    return next(row[1] for row in rows if str(row[0]) == str(label))


# ---------------------------------------------------------------- figures


def test_key_figures_equal_overview(world):
    matters(world, 3)
    result = figures(world.users.staff_a, Place("community", world.a.pk), this_year())
    data = overview(community=world.a)
    assert result["overview"] == data
    assert value(result, "paper", "Households") == data["households"] == 4
    assert value(result, "paper", "Residents") == data["residents"]
    assert value(result, "paper", "Registered volunteers") == data["volunteers"]
    assert value(result, "paper", "Neighbour partners") == data["partners"]["neighbour"]
    assert value(result, "paper", "Micro-projects") == sum(data["projects"].values())
    assert value(result, "paper", "Experiences") == data["experiences"]
    assert value(result, "paper", "Meeting venues") == data["venues"]


def test_matter_figures_come_from_rollups_and_agree_with_overview(world):
    matters(world, 4, category="parking")
    matters(world, 2, building=world.n1)  # community B: not counted in A
    result = figures(world.users.staff_a, Place("community", world.a.pk), this_year())
    assert value(result, "status", "Submitted") == 4
    category = {row[0]: row[1] for row in section(result, "category")["rows"]}
    assert sum(category.values()) == 4 == overview(community=world.a)["matters"]["total"]
    heat = section(result, "heatmap")
    assert heat["rows"] == [["渔家苑", *[4 if c == "parking" else 0 for c in _categories()]]]
    proactive = section(result, "proactive")
    assert [row[2] for row in proactive["rows"]] == [4]


def _categories():
    from gongzhi.matters.models import Category

    return Category.values


def test_index_section_uses_index_for(world):
    from gongzhi.insights.index import index_for

    matters(world, 2)
    period = this_year()
    result = figures(world.users.staff_a, Place("community", world.a.pk), period)
    expected = index_for(Place("community", world.a.pk), period.index_period())
    index = section(result, "index")
    assert index["score"] == expected["score"]
    assert index["dimensions"] == {
        k: expected[k] for k in ("subjects", "responsibility", "goals", "action")
    }


# ---------------------------------------------------------------- drill-down


def test_every_number_links_to_a_list_with_the_same_count(client, world):
    matters(world, 3, category="parking")
    matters(world, 1, building=world.j1, category="sanitation")
    login(client, world, "staff_a")
    result = figures(world.users.staff_a, Place("community", world.a.pk), this_year())
    for key in ("category", "status"):
        sec = section(result, key)
        for link in sec["links"]:
            assert link.startswith("/matters/?")
            query = parse_qs(urlparse(link).query)
            assert query["place"] == [f"community:{world.a.pk}"]
    category = section(result, "category")
    parking = next(link for link in category["links"] if "category=parking" in link)
    response = client.get(parking)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 3
    heat = section(result, "heatmap")
    cell = heat["chart"]["cell_links"][1][_categories().index("sanitation")]
    response = client.get(cell)
    assert response.context["page"].paginator.count == 1


def test_page_renders_links_and_charts(client, world):
    matters(world, 2)
    response = login(client, world, "staff_a").get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-category"' in html and "chart-heatmap-option" in html
    assert f"/matters/?place=community%3A{world.a.pk}" in html
    assert "/partners/?place=" in html


# ---------------------------------------------------------------- scope


@pytest.mark.parametrize("persona", ["resident_a", "partner_a"])
@pytest.mark.parametrize(
    "url", [URL, URL + "?format=xlsx", REPORT, REPORT + "?format=docx", REPORT + "?format=xlsx"]
)
def test_residents_and_partners_are_refused(client, world, persona, url):
    assert login(client, world, persona).get(url).status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize(
    "url", [URL, URL + "?format=xlsx", REPORT + "?format=docx", REPORT + "?format=xlsx"]
)
def test_staff_b_cannot_ask_for_community_a(client, world, url):
    sep = "&" if "?" in url else "?"
    response = login(client, world, "staff_b").get(f"{url}{sep}place=community:{world.a.pk}")
    assert response.status_code == 400


def test_staff_b_default_scope_shows_only_b(client, world):
    matters(world, 5)  # in A
    matters(world, 1, building=world.n1)
    response = login(client, world, "staff_b").get(URL)
    sections = {s["key"]: s for s in response.context["sections"]}
    assert value({"sections": list(sections.values())}, "status", "Submitted") == 1
    assert response.context["place"] == Place("community", world.b.pk)
    book = load_workbook(io.BytesIO(client.get(URL + "?format=xlsx").content))
    cells = [c for ws in book for row in ws.iter_rows(values_only=True) for c in row]
    assert "渔家苑" not in cells


def test_grid_worker_sees_their_grid(client, world):
    matters(world, 2, building=world.y1)  # grid A1
    matters(world, 3, building=world.y2)  # grid A2
    login(client, world, "grid_a1")
    response = client.get(URL)
    assert response.context["place"] == Place("grid", world.grid_a1.pk)
    result = {"sections": response.context["sections"]}
    assert value(result, "status", "Submitted") == 2
    assert client.get(f"{URL}?place=grid:{world.grid_a2.pk}").status_code == 400
    assert client.get(f"{URL}?place=community:{world.a.pk}").status_code == 400


def test_official_sees_the_subdistrict_and_each_community(client, world):
    matters(world, 2)
    matters(world, 1, building=world.n1)
    login(client, world, "official")
    result = {"sections": client.get(URL).context["sections"]}
    assert value(result, "status", "Submitted") == 3
    result = {"sections": client.get(f"{URL}?place=community:{world.b.pk}").context["sections"]}
    assert value(result, "status", "Submitted") == 1


def test_bad_filters_are_explained(client, world):
    login(client, world, "staff_a")
    assert client.get(URL + "?place=nowhere:1").status_code == 400
    assert client.get(URL + "?period=custom&since=2026-05-01&until=2026-01-01").status_code == 400
    assert client.get(URL + f"?place=household:{world.h_y1.pk}").status_code == 400
    assert client.get(REPORT + "?year=1990").status_code == 400
    assert client.get(REPORT + "?format=pdf").status_code == 400


# ---------------------------------------------------------------- query counts


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_depend_on_data(client, world):
    login(client, world, "staff_a")
    # Both states list repeated matters (未诉先办): their buildings' names are read in one
    # query when the list is not empty, whatever its length.
    matters(world, 5, building=world.y1, category="parking")
    before = _queries(client, URL)
    matters(world, 15, building=world.j1, category="parking")
    matters(world, 7, building=world.y2, category="sanitation")
    after = _queries(client, URL)
    assert before == after
    assert after <= 120


# ---------------------------------------------------------------- the annual report


def test_report_docx_holds_the_papers_figures_and_charts(client, world):
    matters(world, 3, category="parking")
    login(client, world, "staff_a")
    year = timezone.localdate().year
    response = client.get(f"{REPORT}?year={year}&format=docx")
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "社区治理年报" in text
    cells = {cell.text for table in doc.tables for row in table.rows for cell in row.cells}
    data = overview(community=world.a)
    assert {"Households", str(data["households"]), "Residents", str(data["residents"])} <= cells
    assert "Holistic-governance index" in {
        p.text for p in doc.paragraphs if p.style.name.startswith("Heading")
    }
    assert len(doc.inline_shapes) >= 3  # charts as images


def test_report_xlsx_has_a_sheet_per_section(client, world):
    matters(world, 2)
    response = login(client, world, "staff_a").get(REPORT + "?format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Scope"
    for title in (
        "Key figures",
        "Holistic-governance index",
        "Matters by category",
        "Overdue matters",
    ):
        assert title in book.sheetnames
    figures_sheet = {
        row[0]: row[1] for row in book["Key figures"].iter_rows(min_row=2, values_only=True)
    }
    assert figures_sheet["Households"] == overview(community=world.a)["households"]


def test_report_page_offers_years(client, world):
    response = login(client, world, "staff_a").get(REPORT)
    assert response.status_code == 200
    assert b'name="year"' in response.content


def test_annual_report_command(world, tmp_path):
    matters(world, 2)
    target = tmp_path / "report.docx"
    call_command("annual_report", community="X社区", output=str(target))
    doc = Document(str(target))
    assert doc.paragraphs[0].text == "社区治理年报"
    book_path = tmp_path / "report.xlsx"
    call_command("annual_report", community="X社区", output=str(book_path))
    assert "Key figures" in load_workbook(book_path).sheetnames
    with pytest.raises(CommandError):
        call_command("annual_report", community="X社区", output=str(tmp_path / "r.pdf"))
    with pytest.raises(CommandError):
        call_command("annual_report", community="无此社区", output=str(target))
