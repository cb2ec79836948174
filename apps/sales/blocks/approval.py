"""The sales waiting for approval, and the step-up "Approve" action that approves them."""

SHOWN = 100


def unapproved(context):
    return [
        sale for sale in context.app.search(secure=True, limit=SHOWN) if not sale.get("approved")
    ]


def waiting(context):
    sales = unapproved(context)
    if not sales:
        return "Every sale is approved."
    # A client may have stored any JSON value as the customer (a list, a number): show it.
    names = ", ".join(str(sale.get("customer") or sale.id) for sale in sales)
    return f"{len(sales)} waiting for approval: {names}."


def approve(context):
    for sale in unapproved(context):
        sale.save({"approved": True, "approved_by": context.user.username})
