"""PaperDesk benchmarks: ``make bench`` runs every ``bench_*.py`` and prints JSON."""
