import random

FORTUNES = [
    "A small block today saves a big page tomorrow.",
    "You will write YAML, and it will validate.",
    "Good things come to those who reload.",
    "An action returns a URL; the visitor follows it.",
]


def on_display(context):
    context.picked = context.params.get("fortune")


def fortune(context):
    if context.picked is None or not str(context.picked).isdigit():
        return "Crack the cookie to read your fortune."
    return FORTUNES[int(context.picked) % len(FORTUNES)]


def crack(context):
    # An ACTION that returns a string redirects the visitor there.
    number = random.randrange(len(FORTUNES))  # noqa: S311 - a fortune cookie, not a secret
    context.app.log(f"cookie {number} cracked")
    return f"/?fortune={number}#block-demo-fortune"
