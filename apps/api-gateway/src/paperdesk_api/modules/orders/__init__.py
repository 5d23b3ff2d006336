"""Orders: the pre-trade risk gate, order placement, listing and cancel."""
