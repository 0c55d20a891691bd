"""Integrations: one Nameko service per external system (``mail/`` now; ``exchange/``,
``google/``, ``imports/``, ``social/`` later) and ``sync/``, the library they share."""
