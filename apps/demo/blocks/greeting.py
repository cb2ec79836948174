def hello(context):
    if context.user is None:
        return "Hello, visitor! Log in to see the members' page."
    return f"Hello, {context.user.username}!"


def groups(context):
    return context.user.groups if context.user else []
