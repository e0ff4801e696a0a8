"""Deletes a TPU VM or pod slice (the bucket and its checkpoints are kept).

  python -m tools.tpu.teardown --tpu_name=biom-electra-base \
      --zone=europe-west4-a [--dry_run]

A TPU is billed while it exists, idle or not: tear it down when training ends.
"""
from absl import app

from tools.tpu import gcloud

gcloud.define_tpu_flags()


def build_commands():
  return [gcloud.delete_command(gcloud.tpu_from_flags())]


def run():
  app.run(gcloud.main_wrapper(build_commands))


if __name__ == "__main__":
  run()
