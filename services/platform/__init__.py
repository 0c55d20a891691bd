"""What every Osprey service shares: config, database session, outbox, events, errors."""
