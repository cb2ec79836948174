"""The visitor's sales, their total and two charts. Row-level security does the filtering: the
same code shows each salesman their own rows and an admin every row. The total is counted by
the database (`context.app.aggregate(..., secure=True)`), over every readable sale, not summed
here; the table lists the first 20 (the charts are the YAML's CHART elements)."""

FIRST = 20


def on_display(context):
    context.sales = [
        {
            "customer": sale.get("customer") or sale.id,
            "salesman": sale.get("salesman") or sale.get("_author") or "",
            "team": sale.get("team") or "",
            "amount": sale.get("amount") or 0,
            "url": sale.html_url,
        }
        for sale in context.app.search(secure=True, limit=FIRST)
    ]


def rows(context):
    return context.sales


def total(context):
    totals = context.app.aggregate(metrics={"amount": "sum:amount"}, secure=True)["totals"]
    return totals["amount"] or 0


def seeing(context):
    if context.app.acl.has_access_right("editor"):
        return "You are an editor of this app: you see every sale."
    return f"Sales of {context.user.username}: yours, your groups' and your roles'."
