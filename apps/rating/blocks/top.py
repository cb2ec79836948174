def top(context):
    """The five pages with the most likes, best first (sorted by the `likes` field index)."""
    best = context.app.search("", sort_index="likes", reverse=True, limit=5)
    return [{"path": record.get("path"), "likes": record.get("likes", 0)} for record in best]
