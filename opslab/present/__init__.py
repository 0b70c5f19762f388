"""OpsLab: the present room (see docs/ARCHITECTURE.md)."""
