"""Trade journal: round trips from fills, journal fields, tags, analytics, CSV."""
