import json
from pathlib import Path

from django.core.management.base import BaseCommand

from site_model.schema import MODELS, site_schema


class Command(BaseCommand):
    help = (
        "Write the JSON Schema of each kind of site file (site-settings, page, app-settings, "
        "block) as <kind>.json into FOLDER; without FOLDER, print them as one JSON object."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", help="where to write <kind>.json")

    def handle(self, *args, folder=None, **options):
        schemas = {kind: site_schema(kind) for kind in MODELS}
        if folder is None:
            self.stdout.write(json.dumps(schemas, indent=2))
            return
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        for kind, schema in schemas.items():
            (target / f"{kind}.json").write_text(json.dumps(schema, indent=2) + "\n")
            self.stderr.write(f"wrote {target / kind}.json")
