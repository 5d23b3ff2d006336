"""Risk controls: limits, state, halt/resume and flatten."""
