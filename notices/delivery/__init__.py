"""Delivery results: returned mail (recorded one by one or from the post office's CSV) and
the re-send of returned items by the other route, as a small batch of its own."""
