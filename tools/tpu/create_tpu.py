"""Creates a Cloud TPU VM or pod slice, then describes it.

  python -m tools.tpu.create_tpu --tpu_name=biom-electra-base \
      --zone=europe-west4-a --accelerator_type=v3-32 [--spot] [--dry_run]
"""
from absl import app
from absl import flags

from tools.tpu import gcloud

gcloud.define_tpu_flags()
flags.DEFINE_boolean("spot", False,
                     "Create a Spot TPU (cheaper, may be preempted).")
FLAGS = flags.FLAGS


def build_commands():
  tpu = gcloud.tpu_from_flags()
  return [gcloud.create_command(tpu, spot=FLAGS.spot, labels={"app": "biom_tf"}),
          gcloud.describe_command(tpu)]


def run():
  app.run(gcloud.main_wrapper(build_commands))


if __name__ == "__main__":
  run()
