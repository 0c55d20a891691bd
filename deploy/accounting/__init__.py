"""The reference accounting system (a simulator) for Osprey's accounting exchange."""
