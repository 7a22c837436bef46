"""Shared parts: organisation (branches), accounts, audit, API conventions, Japanese helpers."""
