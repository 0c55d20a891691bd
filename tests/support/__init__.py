"""Helpers shared by tests and benchmarks: the stack launcher."""
