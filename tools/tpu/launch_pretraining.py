"""Starts tools.run_pretraining on every host of a TPU VM or pod slice.

  python -m tools.tpu.launch_pretraining --tpu_name=biom-electra-base \
      --zone=europe-west4-a --accelerator_type=v3-32 \
      --recipe=biom_electra_base \
      --input_file='gs://my-bucket/biom-electra-base/tfrecords/*.tfrecord' \
      --output_dir=gs://my-bucket/biom-electra-base/model [--dry_run]

Every host runs the same command (`--worker=all`): on a pod slice each host
feeds its own TPU chips, and TPUStrategy joins them. The run goes on in the
background on each host (nohup), its output in ~/biom_tf_logs/; follow it with
follow_logs.py. `--recipe` carries the published hyperparameters
(biom_tf/recipes.py); `--run_flags` adds or overrides any run_pretraining flag
(e.g. --run_flags=--init_checkpoint=gs://...,--num_train_steps=1000).
"""
from absl import app
from absl import flags

from tools.tpu import gcloud

gcloud.define_tpu_flags()
flags.DEFINE_string("recipe", None, "Pretraining recipe, e.g. biom_electra_base.")
flags.DEFINE_string("input_file", None, "gs:// glob(s) of the TFRecords.")
flags.DEFINE_string("output_dir", None, "gs:// folder for checkpoints.")
flags.DEFINE_list("run_flags", [], "More run_pretraining flags, verbatim.")
flags.DEFINE_string("python", "python3", "Python on the TPU hosts.")
flags.mark_flags_as_required(["recipe", "input_file", "output_dir"])
FLAGS = flags.FLAGS


def pretraining_argv(tpu: gcloud.Tpu, recipe: str, input_file: str,
                     output_dir: str, python: str = "python3",
                     run_flags=()) -> list:
  """The run_pretraining command line each host runs."""
  # One host: the TPU is attached ("local"); a pod slice: name the slice so
  # TPUClusterResolver finds all its hosts.
  tpu_name = tpu.name if gcloud.num_hosts(tpu.accelerator_type) > 1 else "local"
  argv = [python, "-m", "tools.run_pretraining",
          f"--recipe={recipe}",
          f"--input_file={gcloud.gcs_path(input_file, 'input_file')}",
          f"--output_dir={gcloud.gcs_path(output_dir, 'output_dir')}",
          "--do_train", "--use_tpu", "--strategy=tpu",
          f"--tpu_name={tpu_name}", f"--tpu_zone={tpu.zone}"]
  if tpu.project:
    argv.append(f"--gcp_project={tpu.project}")
  for flag in run_flags:
    if not flag.startswith("--"):
      raise gcloud.TpuJobError(f"run_flags: {flag!r} is not a --flag")
    argv.append(flag)
  return argv


def launch_script(argv) -> str:
  """Shell line: start argv in the background, output to the log file."""
  return (f"mkdir -p {gcloud.REMOTE_LOG_DIR} && nohup {gcloud.remote(*argv)} "
          f"> {gcloud.REMOTE_LOG_FILE} 2>&1 < /dev/null &")


def build_commands():
  tpu = gcloud.tpu_from_flags()
  argv = pretraining_argv(tpu, FLAGS.recipe, FLAGS.input_file,
                          FLAGS.output_dir, FLAGS.python, FLAGS.run_flags)
  return [gcloud.ssh_command(tpu, launch_script(argv), worker="all")]


def run():
  app.run(gcloud.main_wrapper(build_commands))


if __name__ == "__main__":
  run()
