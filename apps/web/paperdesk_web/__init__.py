"""PaperDesk web UI (Reflex): an API client that renders the trading workspace."""
