"""Errors raised by the provider layer towards the sync engine.

The engine only knows these kinds, so a second aggregator (Linxo Connect) can plug in by
translating its own errors into them without the engine changing.
"""


class BankCollectError(Exception):
    """A collection fault. ``kind`` is a ``bank.collect.issue`` kind; ``message`` is translated
    and safe to show (never a secret or a token)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self):
        return self.message
