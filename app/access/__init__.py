"""Who is calling and which part of the tree they may touch: the principal, its scope, and the
dependencies that resolve them from a bearer token or an API key. Shared by every domain."""
