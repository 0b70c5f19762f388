"""Altair chart builders: pure functions from frames to charts; titles come from the caller."""
