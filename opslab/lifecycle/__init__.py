"""OpsLab: the lifecycle room (see docs/ARCHITECTURE.md)."""
