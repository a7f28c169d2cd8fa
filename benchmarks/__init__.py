"""Scripts that measure and print; run from the checkout as `python -m benchmarks.NAME`."""
