"""Mailing batches: the batch and item rows, set-based planning (selection, routing,
envelopes, boxes, tracked-mail numbers), chunk rendering on the ``bulk`` queue, and the
outputs (a PDF per bundle, the manifest, the employers' 対象者一覧表)."""
