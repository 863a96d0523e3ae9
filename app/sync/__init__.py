"""Incremental sync: the changes feed, read off the audit trail by position."""
