"""The gateway over real HTTP, against Nameko services speaking the real protocol."""
