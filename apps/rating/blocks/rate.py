"""A Like button per page: one record per page path, holding its count.

The record is saved through the `counter` block, so it carries `block: counter`, is shown with
that block at /apps/rating/records/<id>/ and is sorted by its `likes` field index.
"""


def page_path(context):
    # On a page, the page itself; when the block posts alone (target: ajax), the page it
    # came from travels in the form's `next` field.
    if context.page is not None:
        return context.page.path
    path = context.params.get("next") or "/"
    return path.split("?")[0] if path.startswith("/") else "/"


def record_id_for(path):
    return "page:" + (path.strip("/").replace("/", ".") or "home")


def count_of(record):
    # `likes` is a NUMBER that is not required: an API client may have stored null, "" or a
    # list in it; those count as no likes yet.
    value = record.get("likes") if record is not None else None
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def likes(context):
    return count_of(context.app.get_record(record_id_for(page_path(context))))


def like(context):
    path = page_path(context)
    record = context.app.get_record(record_id_for(path))
    if record is None:
        record = context.app.create_record(record_id_for(path))
    record.save({"path": path, "likes": count_of(record) + 1}, block_id="counter")
