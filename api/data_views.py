"""Import, export and jobs (contract §9): `POST /api/v1/<app>/import` queues a job (202, its
URL in `Location`), `GET /api/v1/jobs/<id>` shows it to its creator (and superusers),
`GET /api/v1/<app>/export` streams the caller's readable records as a file.

The work is the records layer's: reading and checking the file (records/imports.py), the job
on the task queue (records/tasks.py), the export's pages (records/exports.py). Here: the
request's shape (a multipart `file` or a JSON body of `rows`, the options) and the answers.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from records import access as gate
from records import exports, imports, tasks
from records.errors import BadImportFile

from .endpoints import ApiView, AppEndpoint
from .framework import json_type

MULTIPART = "multipart/form-data"


def job_path(job_id: str) -> str:
    return f"/api/v1/jobs/{job_id}"


class ImportView(AppEndpoint):
    requires = {"POST": "create"}

    def get_parsers(self):
        """A multipart form is read as one (a file and fields); any other body as JSON. (The
        CSRF check of a session reads the form's fields before the handler does.)"""
        if self.request.content_type.startswith(MULTIPART):
            return [MultiPartParser()]
        return super().get_parsers()

    def post(self, request, app_id):
        if request.content_type.startswith(MULTIPART):
            data, fmt, raw = self.uploaded(request)
        else:
            data, fmt, raw = self.listed()
        options = imports.options_of(raw, self.app, self.access.who)
        job = tasks.import_enqueue(
            app_id=self.app.id, user=request.user, options=options, data=data, source_format=fmt
        )
        path = job_path(job.pk)
        return Response({"job": job.pk, "url": path}, status=202, headers={"Location": path})

    def uploaded(self, request) -> tuple[bytes, str, dict]:
        """A multipart form: its `file` and the options as fields."""
        files, fields = request.FILES, request.data
        upload = files.get("file")
        if upload is None:
            raise ParseError("send the rows as a multipart field 'file' (CSV, JSON or XLSX)")
        fmt = imports.format_of(upload.name or "", upload.content_type or "")
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise BadImportFile(
                f"the file holds {upload.size} bytes: an import takes at most "
                f"{settings.IMPORT_MAX_BYTES // 2**20} MB; split it"
            )
        data = upload.read()
        imports.check_looks_like(data, fmt, upload.name or "")
        raw = {name: fields[name] for name in fields if name not in ("file", "csrfmiddlewaretoken")}
        return data, fmt, raw

    def listed(self) -> tuple[bytes, str, dict]:
        """A JSON body `{"rows": [...], <options>}`."""
        body = self.body()
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            found = json_type(body.get("rows")) if isinstance(body, dict) else json_type(body)
            raise ParseError(
                'the body must be {"rows": [<objects>], ...options} or a multipart file, '
                f"found rows as {found}"
            )
        rows = body["rows"]
        imports.rows_of_list(rows)  # the shape and the row limit, before queueing
        raw = {name: value for name, value in body.items() if name != "rows"}
        return json.dumps(rows).encode(), "rows", raw


class JobView(ApiView):
    def get(self, request, job_id):
        job = tasks.job_for(job_id, request.user)
        if job is None:
            raise NotFound(f"no job '{job_id[:40]}'")
        return Response(tasks.job_json(job))


class ExportView(AppEndpoint):
    requires = {"GET": "view"}

    def get(self, request, app_id):
        fmt = exports.check_format(request.GET.get("format"))
        # A hidden item (acl.fields): a query naming it answers as for one no element declares.
        app = gate.app_as_seen(self.app, self.access)
        chunks = exports.export_chunks(app, self.access, request.GET.get("query"), fmt)
        response = StreamingHttpResponse(chunks, content_type=exports.FORMATS[fmt])
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{self.app.id}-{stamp}.{fmt}"'
        return response


import_view = ImportView.as_view()
job_view = JobView.as_view()
export_view = ExportView.as_view()
