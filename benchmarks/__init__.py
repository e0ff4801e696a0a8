"""Benchmarks: data creation, pretraining, fine-tuning → BENCHMARKS.md."""
