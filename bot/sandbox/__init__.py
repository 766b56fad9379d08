"""The offline sandbox: the real bot against the loopback Discord, on a demo ledger."""
