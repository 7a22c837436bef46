"""REST API of the mailing batches: a batch's status and counts, branch-scoped."""
