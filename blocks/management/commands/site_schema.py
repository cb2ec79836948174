import json
from pathlib import Path

from django.core.management.base import BaseCommand

from site_model import key_tables
from site_model.schema import MODELS, site_schema

DOCS = Path(__file__).resolve().parents[3] / "docs" / "blocks.md"


class Command(BaseCommand):
    help = (
        "Write the JSON Schema of each kind of site file (site-settings, page, app-settings, "
        "block) as <kind>.json into FOLDER; without FOLDER, print them as one JSON object. "
        "--docs: rewrite the tables of YAML keys in docs/blocks.md from the same models."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", help="where to write <kind>.json")
        parser.add_argument("--docs", action="store_true", help="rewrite docs/blocks.md's tables")

    def handle(self, *args, folder=None, docs=False, **options):
        if docs:
            DOCS.write_text(key_tables.written(DOCS.read_text()))
            self.stderr.write(f"wrote the key tables of {DOCS}")
            return
        schemas = {kind: site_schema(kind) for kind in MODELS}
        if folder is None:
            self.stdout.write(json.dumps(schemas, indent=2))
            return
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        for kind, schema in schemas.items():
            (target / f"{kind}.json").write_text(json.dumps(schema, indent=2) + "\n")
            self.stderr.write(f"wrote {target / kind}.json")
