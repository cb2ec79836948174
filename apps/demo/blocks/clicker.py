def count(context):
    return context.request.session.get("clicks", 0)


def click(context):
    context.request.session["clicks"] = count(context) + 1


def reset(context):
    context.request.session["clicks"] = 0
