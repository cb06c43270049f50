"""Capital guards (spec §6): pure decisions that come before every entry.

Each module decides one guard from plain inputs (candles, an order book, trade history, an index
value) and returns `None` (entry allowed) or a `Refusal` saying why and until when. The strategy
gathers the inputs, asks the guards in `checks.ENTRY_GUARDS` order and reports a refusal (log,
strategy message, lock in dry-run/live).
"""
