"""Load and fault runs against the production stack on this machine (see README.md)."""
