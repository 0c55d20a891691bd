"""What every integration service shares (DESIGN.md §6): connection records and their
per-folder cursors (:mod:`.tables`), secrets encrypted at rest with keys from the
environment (:mod:`.crypto`), leases so several instances share the connections without
two syncing one (:mod:`.leases`), back-off after failures (:mod:`.backoff`) and health in
a user's words (:mod:`.health`).

Nothing here knows a vendor: the mail service keeps its IMAP/SMTP settings in a
connection's ``settings``; Exchange and Google keep theirs there too.
"""
