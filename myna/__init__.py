"""マイナ保険証 dashboard: registration and usage by branch, age band and month."""
