"""Cloud TPU job scripts: create, set up, stage data, launch, follow, tear down.

Each script is a thin absl CLI over `tools.tpu.gcloud`; each has `--dry_run`,
which prints the exact gcloud commands and runs nothing. See docs/tpu.md.
"""
