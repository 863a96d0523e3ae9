"""The unit tree shared by every domain: its closure, a unit's line and the order its locks are
taken in."""
