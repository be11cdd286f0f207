"""The complaint pages, one module per sub-domain: the closed loop (complaints), the
penalties and their ledger (penalties), the product feedback to development (feedback)."""
