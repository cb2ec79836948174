def intro(context):
    # context.html() marks markup as safe; any other value is escaped in the page.
    return context.html(
        "<p>Every box on this page is a <strong>block</strong>: a YAML file, an optional "
        "HTML layout and a Python file under <code>apps/demo/blocks/</code>. Edit one and "
        "reload: the change shows at once.</p>"
    )
