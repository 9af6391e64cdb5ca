"""Mutation testing of the modules where a bug costs users most: ``python -m mutate`` (docs/mutation.md)."""
