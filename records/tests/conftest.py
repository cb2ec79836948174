"""Fixtures of the records tests: a site with apps of every kind of ACL, users of every right."""

import pytest

SALES_ACL = """
title: Sales
acl:
  rights:
    reader: [readers]
    author: [authors]
    editor: [editors]
    manager: [managers]
  roles:
    PurchaseManager: [eric, buyers]
"""

ORDER_BLOCK = """
title: Order
elements:
  title: {type: TEXT, label: Title, index_type: text}
  price: {type: NUMBER, index_type: field}
  quantity: {type: NUMBER}
  due: {type: DATETIME, label: Due}
  total: {type: NUMBER, mode: COMPUTED_ON_SAVE, index_type: field}
  number: {type: TEXT, mode: COMPUTED_ON_CREATION}
"""

ORDER_CODE = """
CALLS = []

def total(context):
    if context.record is None:  # the empty form shows the formula's value as a default
        return None
    CALLS.append(("total", context.record.id))
    return (context.record.get("price") or 0) * (context.record.get("quantity") or 0)

def number(context):
    if context.record is None:
        return None
    CALLS.append(("number", context.record.id))
    return "N-" + str(len([c for c in CALLS if c[0] == "number"]))

def record_id(context):
    CALLS.append(("record_id", context.record.get("title")))
    return (context.record.get("title") or "order").lower().replace(" ", "-")

def on_save(context):
    CALLS.append(("on_save", context.record.id))
    if context.record.get("title") == "go away":
        return "/elsewhere/"

def on_delete(context):
    CALLS.append(("on_delete", context.record.id))
"""


@pytest.fixture
def records_site(site_dir):
    """apps: sales (rights by group), open (no ACL), public (reader '*', author authenticated)."""
    site_dir.write("apps/sales/settings.yaml", SALES_ACL)
    site_dir.write("apps/sales/blocks/order.yaml", ORDER_BLOCK)
    site_dir.write("apps/sales/blocks/order.py", ORDER_CODE)
    site_dir.write(
        "apps/sales/blocks/secret.yaml",
        "view_permission: [managers]\nelements:\n  code: BASIC\n  note: TEXT\n",
    )
    site_dir.write("apps/sales/blocks/secret.py", "def code(context):\n    return 42\n")
    site_dir.write("apps/open/blocks/thing.yaml", "elements:\n  name: TEXT\n")
    site_dir.write(
        "apps/public/settings.yaml",
        "acl:\n  rights:\n    reader: ['*']\n    author: [authenticated]\n",
    )
    site_dir.write("apps/public/blocks/note.yaml", "elements:\n  text: TEXT\n")
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [sales/order]\n")
    return site_dir


OWNED_ACL = """
acl:
  rights:
    reader: [readers]
    author: [authors]
    editor: [editors]
  row_owners: [salesman]
"""


@pytest.fixture
def owned_app(records_site):
    """App `owned`: the rights of `sales`, under row-level security by `salesman`; one block,
    `sale`, with a field index `amount`."""
    records_site.write("apps/owned/settings.yaml", OWNED_ACL)
    records_site.write(
        "apps/owned/blocks/sale.yaml", "elements:\n  amount: {type: NUMBER, index_type: field}\n"
    )
    return records_site


@pytest.fixture
def users(user_factory):
    """One user per right in app `sales`, a second author, a stranger and a superuser."""
    return {
        "reader": user_factory("reader", groups=["readers"]),
        "author": user_factory("author", groups=["authors"]),
        "author2": user_factory("author2", groups=["authors"]),
        "editor": user_factory("editor", groups=["editors"]),
        "manager": user_factory("manager", groups=["managers"]),
        "stranger": user_factory("stranger"),
        "root": user_factory("root", superuser=True),
    }


@pytest.fixture
def api_client(api_client, users):
    """The root api_client, with `users` made first: api_client("author") signs in as one."""
    return api_client


@pytest.fixture
def make_record(records_site):
    """make_record("sales", "r1", {"title": "x"}, author=user) -> a Record, through the store."""
    from records import store
    from site_model.loader import current_site

    def make(app_id, record_id, items=None, author=None):
        app = current_site().apps[app_id]
        return store.record_create(app=app, items=items or {}, record_id=record_id, user=author)

    return make


EVENTS_ACL = """
title: Events
acl:
  rights:
    reader: ['*']
    author: [authenticated]
    editor: [admins]
"""

EVENT_BLOCK = """
title: Add an event
elements:
  title: {type: TEXT, label: Title, required: true, max_length: 80}
  kind: {type: CHOICE, label: Kind, choices: [talk, workshop, party]}
  day: {type: DATE, label: Day, min: 2020-01-01}
  starts: {type: DATETIME, label: Starts at}
  seats: {type: NUMBER, label: Seats, min: 1, max: 500}
  notes: {type: TEXTAREA, label: Notes, max_length: 2000}
  public: {type: BOOLEAN, label: Public}
  contact: {type: EMAIL, label: Contact}
  website: {type: URL, label: Website}
  code: {type: TEXT, label: Code, pattern: "[A-Z]{3}"}
  poster: {type: FILE, label: Poster}
  venue: {type: REFERENCE, label: Venue, app: places}
  follows: {type: REFERENCE, label: Follows}
  headline: {type: TEXT, label: Headline, mode: COMPUTED_ON_SAVE}
"""

EVENT_CODE = """
def headline(context):
    # reads the record: must never run to show an empty form
    return f"{context.record.get('title')} ({context.record.get('seats') or 0} seats)"
"""


@pytest.fixture
def events_site(site_dir):
    """app events (reader '*', author authenticated, editor admins) with an input of every
    type; app places (readable by its editors only) for REFERENCE; a page /events/ holding the
    form."""
    site_dir.write("apps/events/settings.yaml", EVENTS_ACL)
    site_dir.write("apps/events/blocks/event.yaml", EVENT_BLOCK)
    site_dir.write("apps/events/blocks/event.py", EVENT_CODE)
    site_dir.write(
        "apps/places/settings.yaml",
        "acl:\n  rights:\n    reader: [admins]\n    author: [admins]\n    editor: [admins]\n",
    )
    site_dir.write("apps/places/blocks/place.yaml", "elements:\n  name: TEXT\n")
    site_dir.write("pages/events.yaml", "path: /events/\ntitle: Events\nblocks: [events/event]\n")
    return site_dir
