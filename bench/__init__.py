"""Engine benchmarks: `python -m bench` (run by `make bench`)."""
