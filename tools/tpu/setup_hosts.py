"""Installs biom_tf on every host of a TPU VM or pod slice.

  python -m tools.tpu.setup_hosts --tpu_name=biom-electra-base \
      --zone=europe-west4-a --accelerator_type=v3-32 \
      --package=gs://my-bucket/wheels/biom_tf-0.1.0-py3-none-any.whl

`--package` is anything pip installs (a wheel on gs://, copied to the host
first; a `git+https://...` URL; a path on the host). The tpu-vm-tf-2.20.0
image comes with TensorFlow 2.20, which satisfies biom_tf's
`tensorflow~=2.20.0`, so pip keeps it; the last command prints the TensorFlow
version each host imports, to check that.
"""
import posixpath

from absl import app
from absl import flags

from tools.tpu import gcloud

gcloud.define_tpu_flags()
flags.DEFINE_string("package", None,
                    "pip requirement for biom_tf: gs:// wheel, git+ URL, path.")
flags.mark_flag_as_required("package")
FLAGS = flags.FLAGS

CHECK = "import biom_tf, tensorflow as tf; print(tf.__version__)"


def install_script(package: str) -> str:
  """The shell line each host runs."""
  steps = []
  if package.startswith("gs://"):
    local = "/tmp/" + posixpath.basename(package)
    steps.append(gcloud.remote("gcloud", "storage", "cp", package, local))
    package = local
  steps.append(gcloud.remote("python3", "-m", "pip", "install", "--upgrade",
                             package))
  steps.append(gcloud.remote("python3", "-c", CHECK))
  return " && ".join(steps)


def build_commands():
  tpu = gcloud.tpu_from_flags()
  return [gcloud.ssh_command(tpu, install_script(FLAGS.package), worker="all")]


def run():
  app.run(gcloud.main_wrapper(build_commands))


if __name__ == "__main__":
  run()
