"""OpsLab: the behaviour room (see docs/ARCHITECTURE.md)."""
