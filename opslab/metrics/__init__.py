"""OpsLab: the metrics room (see docs/ARCHITECTURE.md)."""
