"""OpsLab: the dataset room (see docs/ARCHITECTURE.md)."""
