"""The visitor's sales and their total: `context.app.readable()` applies row-level security,
so the same code shows each salesman their own rows and an admin every row."""


def on_display(context):
    context.sales = [
        {
            "customer": sale.get("customer") or sale.id,
            "salesman": sale.get("salesman") or sale.get("_author") or "",
            "team": sale.get("team") or "",
            "amount": sale.get("amount") or 0,
            "url": sale.html_url,
        }
        for sale in context.app.readable()
    ]


def rows(context):
    return context.sales


def total(context):
    return sum(row["amount"] for row in context.sales if isinstance(row["amount"], int | float))


def seeing(context):
    if context.app.acl.has_access_right("editor"):
        return "You are an editor of this app: you see every sale."
    return f"Sales of {context.user.username}: yours, your groups' and your roles'."
