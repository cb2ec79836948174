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


def likes(context):
    record = context.app.get_record(record_id_for(page_path(context)))
    return record.get("likes", 0) if record is not None else 0


def like(context):
    path = page_path(context)
    record = context.app.get_record(record_id_for(path))
    if record is None:
        record = context.app.create_record(record_id_for(path))
    record.save({"path": path, "likes": record.get("likes", 0) + 1}, block_id="counter")
