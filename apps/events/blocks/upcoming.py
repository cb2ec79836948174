def events(context):
    found = []
    for record in context.app.records():
        found.append(
            {
                "url": record.html_url,
                "title": record.get("title") or record.id,
                "kind": record.get("kind"),
                "starts": (record.get("starts") or "")[:16].replace("T", " "),
                "seats": record.get("seats"),
            }
        )
    return sorted(found, key=lambda event: event["starts"] or "~")
