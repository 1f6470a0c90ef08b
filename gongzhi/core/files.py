"""Uploaded files answered by the application, never by a public media URL.

Photos of matters, shop items, project inspections, wishes and talent profiles are personal or
community data: a view finds the record through the reader's visibility rules and answers the
file with ``private_file``. ``FieldFile.url`` is never put on a page — on local disk nothing
serves ``MEDIA_URL``, and on S3 its signed link would bypass the permission check.
"""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

_IMAGE_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff(head: bytes) -> str:
    """The image type by content; the uploader's claimed type is never trusted."""
    for magic, content_type in _IMAGE_TYPES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def private_file(field: FieldFile | None) -> FileResponse:
    """The stored file shown inline, typed by its content, cached by the reader's browser only.
    404 when the record has no file or the storage lost it."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    content_type = sniff(handle.read(12))
    handle.seek(0)
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
