"""`GET /api/v1/site-schema/<kind>.json`: the JSON Schema of one kind of site file
(site_model.schema), for the `# yaml-language-server: $schema=…` header of a site's YAML.

Anonymous callers may read it: it says what a site folder may contain, nothing of this site.
"""

from __future__ import annotations

from django.http import JsonResponse
from rest_framework.exceptions import NotFound

from site_model.schema import MODELS, site_schema

from .endpoints import ApiView


class SiteSchemaView(ApiView):
    def get(self, request, kind: str):
        if kind not in MODELS:
            raise NotFound(f"no site schema '{kind}'; kinds: {', '.join(MODELS)}")
        schema = {**site_schema(kind), "$id": request.build_absolute_uri()}
        return JsonResponse(schema, content_type="application/schema+json")


site_schema_view = SiteSchemaView.as_view()
