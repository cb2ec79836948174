"""The site files of the record tests' fixtures (conftest.py `records_site`, `owned_app`,
`events_site`), for tests that write a variant of one."""

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

OWNED_ACL = """
acl:
  rights:
    reader: [readers]
    author: [authors]
    editor: [editors]
  row_owners: [salesman]
"""

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


# Broken site files, one per kind of problem (site_model.check_ids), written over a site whose
# block BLOCK is `elements: {a: NUMBER}`: (file, text, the id of its one problem, its line).
BLOCK = "apps/demo/blocks/hello.yaml"

BROKEN = [
    (BLOCK, "elements: [\n", "site.E001", 2),
    (BLOCK, "elemnts: {}\n", "site.E002", 1),
    (BLOCK, "title: [a, b]\n", "site.E003", 1),
    (BLOCK, "elements:\n  a: {type: NOPE}\n", "site.E004", 2),
    (BLOCK, "elements:\n  1a: TEXT\n", "site.E005", 2),
    (BLOCK, "title: a\ntitle: b\n", "site.E006", 2),
    (BLOCK, "elements:\n  a: {label: A}\n", "site.E007", 2),
    (BLOCK, "elements:\n  actions: TEXT\n", "site.E008", 2),
    (BLOCK, "title_element: nope\nelements:\n  a: TEXT\n", "site.E009", 1),
    (BLOCK, "elements:\n  a: BASIC\n", "site.E010", 2),
    ("apps/demo/blocks/hello.py", "def (:\n", "site.E011", 1),
    (BLOCK, "elements:\n  a: {type: NUMBER, min: 3, max: 1}\n", "site.E012", 2),
    (BLOCK, "elements:\n  a: {type: TEXT, min: 3}\n", "site.E013", 2),
    ("pages/other.yaml", "path: /\n", "site.E014", 1),
    ("apps/demo/blocks/other.yaml", "elements:\n  a: TEXT\n", "site.E015", 2),
    (
        "settings.yaml",
        "auth:\n  ldap: {server: 'x', user_search: {base: b, filter: '(u=%(user)s)'}}\n",
        "site.E016",
        2,
    ),
    ("apps/demo/blocks/lonely.html", "<p></p>\n", "site.E017", 1),
    ("pages/other.yaml", "path: other\n", "site.E018", 1),
    (BLOCK, "title: {en: Hi, xx: Ho}\n", "site.E019", 1),
]
