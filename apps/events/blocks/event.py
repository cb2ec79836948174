import re


def seats(context):
    return 20  # the default shown in an empty form


def headline(context):
    # COMPUTED_ON_SAVE: recomputed from the other fields each time the record is saved.
    record = context.record
    if record is None:
        return ""
    return f"{record.get('title') or 'Untitled'}, {record.get('seats') or 0} seats"


def record_id(context):
    # Records get readable ids: "Summer party" -> "summer-party" (then summer-party-1, ...).
    title = str(context.params.get("title") or "event")
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "event"
