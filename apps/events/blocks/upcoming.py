def start_of(record):
    # A DATETIME item may hold a list (several values) or be empty: the first one, or nothing.
    starts = record.get("starts")
    if isinstance(starts, list):
        starts = starts[0] if starts else None
    return starts[:16].replace("T", " ") if isinstance(starts, str) else ""


def events(context):
    found = []
    for record in context.app.records():
        found.append(
            {
                "url": record.html_url,
                "title": record.get("title") or record.id,
                "kind": record.get("kind"),
                "starts": start_of(record),
                "seats": record.get("seats"),
            }
        )
    return sorted(found, key=lambda event: event["starts"] or "~")
