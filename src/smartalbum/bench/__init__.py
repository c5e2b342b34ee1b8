"""Benchmarks: engines (speed), accuracy on a labelled folder, the catalog at scale, HTTP load."""
