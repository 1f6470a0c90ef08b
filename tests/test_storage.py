"""Uploaded files through Django's storage API: with ``GONGZHI_MEDIA_URL=s3://…`` a matter's
photo uploaded through the API lands in an S3-compatible bucket (moto's server here) and is read
back through the matter's photo page; a backup carries the bucket's files."""

import io
import json
import socket
import tarfile

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import call_command
from moto.server import ThreadedMotoServer

from gongzhi.ops.config import FILESYSTEM, S3, media_storage
from tests.factories_matters import make_matter

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_no_media_url_keeps_files_on_local_disk():
    assert media_storage(None) == {"BACKEND": FILESYSTEM}
    assert media_storage("file:///srv/gongzhi/media")["OPTIONS"] == {
        "location": "/srv/gongzhi/media"
    }


def test_s3_url_names_bucket_prefix_endpoint_and_region():
    storage = media_storage(
        "s3://gongzhi-media/site/one?endpoint=https://s3.example.cn:9000&region=cn-north-1"
    )
    assert storage["BACKEND"] == S3
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "gongzhi-media"
    assert options["location"] == "site/one"
    assert options["endpoint_url"] == "https://s3.example.cn:9000"
    assert options["region_name"] == "cn-north-1"
    assert options["addressing_style"] == "path"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert media_storage("s3://b")["OPTIONS"]["addressing_style"] == "auto"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host/media",
        "s3:///no-bucket",
        "s3://bucket?endpoint=http://x&colour=red",
        "s3://bucket?addressing=sideways",
        "s3://bucket?url_expiry=soon",
        "file://relative/path",
    ],
)
def test_bad_media_urls_are_refused_at_start(url):
    with pytest.raises(ImproperlyConfigured):
        media_storage(url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="gongzhi-media")
    settings.MEDIA_ROOT = tmp_path / "local-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media_storage(f"s3://gongzhi-media/site?endpoint={endpoint}&region=us-east-1"),
    }
    yield client
    server.stop()


def _keys(client) -> list[str]:
    listed = client.list_objects_v2(Bucket="gongzhi-media")
    return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.mark.django_db(transaction=True)
def test_a_photo_uploaded_through_the_api_is_stored_in_the_bucket_and_read_back(
    client, world, s3, settings, tmp_path
):
    matter = make_matter(building=world.y1, reporter=world.res_a)
    client.force_login(world.users.resident_a)
    photo = io.BytesIO(PNG)
    photo.name = "灯.png"
    response = client.post(f"/api/v1/matters/{matter.pk}/photos", {"photo": photo})
    assert response.status_code == 201, response.content
    stored = matter.photos.get()
    keys = _keys(s3)
    assert keys == [f"site/{stored.image.name}"]
    assert s3.get_object(Bucket="gongzhi-media", Key=keys[0])["Body"].read() == PNG
    assert not settings.MEDIA_ROOT.exists()  # nothing on the app server's disk

    page = client.get(f"/matters/{matter.pk}/photos/{stored.pk}/")
    assert page.status_code == 200
    assert b"".join(page.streaming_content) == PNG
    assert page["Content-Type"] == "image/png"

    # Another resident may not read it.
    client.force_login(world.users.staff_b)
    assert client.get(f"/matters/{matter.pk}/photos/{stored.pk}/").status_code == 404

    # A backup carries the bucket's files, read through the same storage.
    out = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(out), stdout=io.StringIO())
    with tarfile.open(out) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        assert archive.extractfile(f"media/{stored.image.name}").read() == PNG
    assert manifest["media"]["storage"].endswith("S3Storage")
    assert default_storage.exists(stored.image.name)
