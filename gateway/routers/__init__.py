"""The gateway's HTTP resources, one module per area."""
