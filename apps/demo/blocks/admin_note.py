def note(context):
    return (
        f"Only the admins group sees this block. You are {context.user.username}; "
        "other visitors get the page without it."
    )
