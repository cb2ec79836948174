def record_method(app_context, name):
    return None
