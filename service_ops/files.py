"""Serving an uploaded file (an attachment, a scan, a signed copy) to someone the caller already
found allowed to see it: pictures and PDFs open in the browser, anything else downloads."""

from django.http import FileResponse, Http404

INLINE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".pdf")


def stored_file_response(field_file) -> FileResponse:
    """The file of a FileField; 404 when it is empty or gone from storage."""
    if not field_file:
        raise Http404
    name = field_file.name.rsplit("/", 1)[-1]
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle, as_attachment=not name.lower().endswith(INLINE_SUFFIXES), filename=name
    )
