"""OpsLab: the core room (see docs/ARCHITECTURE.md)."""
