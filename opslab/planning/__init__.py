"""OpsLab: the planning room (see docs/ARCHITECTURE.md)."""
