"""Follows the run_pretraining log that launch_pretraining.py started.

  python -m tools.tpu.follow_logs --tpu_name=biom-electra-base \
      --zone=europe-west4-a --accelerator_type=v3-32 [--worker=0] [--lines=100]

Worker 0 is the chief: it writes the checkpoints and metrics. `--worker=all`
interleaves every host's log. Ctrl-C stops following; training goes on.
"""
from absl import app
from absl import flags

from tools.tpu import gcloud

gcloud.define_tpu_flags()
flags.DEFINE_string("worker", "0", "Worker(s) whose log to follow: 0, all, 0,1.")
flags.DEFINE_integer("lines", 100, "Lines of history to print first.")
flags.DEFINE_boolean("follow", True, "Keep following (tail -f).")
FLAGS = flags.FLAGS


def build_commands():
  tpu = gcloud.tpu_from_flags()
  tail = ["tail", "-n", str(FLAGS.lines)]
  if FLAGS.follow:
    tail.append("-F")
  tail.append(gcloud.REMOTE_LOG_FILE)
  return [gcloud.ssh_command(tpu, gcloud.remote(*tail), worker=FLAGS.worker)]


def run():
  app.run(gcloud.main_wrapper(build_commands))


if __name__ == "__main__":
  run()
