"""``demo_data``: the demo generators in order."""
