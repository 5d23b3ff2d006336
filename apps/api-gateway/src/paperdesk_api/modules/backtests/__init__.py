"""Strategies, backtests and parameter sweeps (executed by Celery workers)."""
