"""Runs on the host as a sandboxed kernel's first process, by file path: the standard library only."""
