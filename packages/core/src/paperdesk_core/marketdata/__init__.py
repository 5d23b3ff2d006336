"""Market data shared by ingestion (writer) and the API (reader)."""
