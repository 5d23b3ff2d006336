"""PaperDesk."""
