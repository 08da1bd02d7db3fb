"""The parts of `examples/benchmark.py`: settings, timing, train steps, inference, memory, report."""
