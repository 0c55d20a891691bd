"""Every service as its own process behind the gateway."""
