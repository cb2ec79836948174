def welcome(context):
    return f"Welcome to the members' page, {context.user.username}. Anonymous visitors are sent to log in."
