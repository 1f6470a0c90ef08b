"""Uploaded photos are answered by views that check who may see their record: inspection
photos of a project, the photo of a fulfilled wish and a talent profile's photo (like a
matter's photos and the shop's). Pages link those views, never the storage's URL."""

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongzhi.honours.services import talent_add
from gongzhi.projects import services
from tests.conftest import login
from tests.helpers import propose, to_stage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def fetch(client, user, url):
    login(client, user)
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response.status_code, response.get("Content-Type"), body


def test_an_inspection_photo_only_for_those_who_see_the_project(world, client):
    project = to_stage(world, propose(world), "in_progress")
    log = services.project_log_supervision(
        actor=world.users.staff_a,
        project=project,
        inspected_on=timezone.localdate(),
        progress=30,
        photos=[SimpleUploadedFile("a.png", PNG, content_type="image/png")],
    )
    url = f"/projects/{project.pk}/photos/{log.photos.get().pk}/"
    assert fetch(client, world.users.staff_a, url) == (200, "image/png", PNG)
    assert fetch(client, world.users.staff_b, url)[0] == 404
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert "/media/" not in html
    login(client, world.users.staff_a)
    assert url in client.get(f"/projects/{project.pk}/").content.decode()
    # Another project's id with this photo: not found.
    other = propose(world)
    assert (
        fetch(client, world.users.staff_a, f"/projects/{other.pk}/photos/{log.photos.get().pk}/")[0]
        == 404
    )


def test_a_wish_photo_only_for_those_who_see_the_wish(world, client):
    resident, partner = world.users.resident_a, world.users.partner_a
    wish = services.wish_post(actor=resident, text="想请人帮忙换个灯泡", category="repair")
    wish = services.wish_claim(actor=partner, wish=wish)
    services.wish_fulfil(
        actor=partner,
        wish=wish,
        note="已更换",
        photo=SimpleUploadedFile("w.png", PNG, content_type="image/png"),
    )
    url = f"/projects/wishes/{wish.pk}/photo/"
    assert fetch(client, resident, url) == (200, "image/png", PNG)
    assert fetch(client, world.users.staff_b, url)[0] == 404
    login(client, resident)
    page = client.get("/projects/wishes/").content.decode()
    assert url in page and "/media/" not in page


def test_a_talent_photo_only_for_those_who_see_the_profile(world, client):
    profile = talent_add(
        community=world.a, field="书法", actor=world.users.staff_a, resident=world.res_a
    )
    profile.photo.save("p.png", ContentFile(PNG))
    url = f"/honours/talent/{profile.pk}/photo/"
    assert fetch(client, world.users.staff_a, url) == (200, "image/png", PNG)
    assert fetch(client, world.users.staff_b, url)[0] == 404
    login(client, world.users.staff_a)
    page = client.get(f"/honours/talent/{profile.pk}/").content.decode()
    assert url in page and "/media/" not in page


def test_no_template_links_a_storage_url():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "gongzhi"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if ".url }}" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
