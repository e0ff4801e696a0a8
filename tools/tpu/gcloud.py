"""The `gcloud` command lines of a Cloud TPU job, built in one place.

Every script in tools/tpu/ builds its commands here and hands them to
`run_commands`, which prints each one (as a shell would read it) and, unless
`dry_run`, runs it. Commands are argv lists, never shell strings, so a name or
path with spaces cannot split; the remote `--command=` is the one place a shell
string is built, with every value quoted by `shlex.quote`.

The TPU software version follows Google's naming rule
`tpu-vm-tf-<TF version>[-pod][-pjrt]` ("-pod" on multi-host slices, "-pjrt"
for the PJRT runtime that TF >= 2.15 needs). The published list we could read
ends at TF 2.18; 2.20 images are expected to follow the same rule, and
`--runtime_version` overrides the guess.
"""
import dataclasses
import re
import shlex
import subprocess
import sys
from importlib import metadata
from typing import Callable, List, Optional, Sequence

from absl import flags

GCLOUD = "gcloud"
TPU_VM = (GCLOUD, "compute", "tpus", "tpu-vm")

# Where launch_pretraining.py sends a host's stdout/stderr and where
# follow_logs.py reads it (on the TPU VM, relative to the login's home).
REMOTE_LOG_DIR = "biom_tf_logs"
REMOTE_LOG_FILE = REMOTE_LOG_DIR + "/run_pretraining.log"

# TensorCores per host of the TPU generations whose accelerator type counts
# cores (v2, v3, v4): 4 chips x 2 cores. Newer types count chips, 8 per host
# at most; in both cases a slice of more than 8 is multi-host.
UNITS_PER_HOST = 8

_ACCELERATOR = re.compile(r"^(v\d+[a-z]*)-(\d+)$")


class TpuJobError(ValueError):
  """A TPU job setting that cannot work, or a gcloud command that failed."""


@dataclasses.dataclass(frozen=True)
class Tpu:
  """One TPU VM or pod slice, as gcloud names it."""
  name: str
  zone: str
  accelerator_type: str = "v3-8"
  project: Optional[str] = None
  runtime_version: Optional[str] = None

  def __post_init__(self):
    if not self.name:
      raise TpuJobError("tpu_name is empty: expected the TPU VM's name")
    if not self.zone:
      raise TpuJobError("zone is empty: expected a zone such as europe-west4-a")
    num_hosts(self.accelerator_type)  # validates the type

  @property
  def version(self) -> str:
    return self.runtime_version or default_runtime_version(
        self.accelerator_type)

  def location_flags(self) -> List[str]:
    """`--zone=...` and, when set, `--project=...`."""
    out = [f"--zone={self.zone}"]
    if self.project:
      out.append(f"--project={self.project}")
    return out


def num_hosts(accelerator_type: str) -> int:
  """Hosts (TPU VMs) in a slice: v3-8 -> 1, v3-32 -> 4, v3-512 -> 64."""
  match = _ACCELERATOR.match(accelerator_type or "")
  if not match or int(match.group(2)) <= 0:
    raise TpuJobError(
        f"accelerator_type={accelerator_type!r}: expected <generation>-<size> "
        "such as v3-8 or v3-32")
  return max(1, int(match.group(2)) // UNITS_PER_HOST)


def installed_tensorflow_version() -> str:
  """The TensorFlow version installed here (no TensorFlow import)."""
  try:
    return metadata.version("tensorflow")
  except metadata.PackageNotFoundError:
    return "2.20.0"


def default_runtime_version(accelerator_type: str,
                            tf_version: Optional[str] = None) -> str:
  """tpu-vm-tf-<x.y.z>[-pod]-pjrt for this slice and TensorFlow version."""
  tf_version = tf_version or installed_tensorflow_version()
  tf_version = re.sub(r"[^0-9.].*$", "", tf_version)  # 2.20.0rc1 -> 2.20.0
  pod = "-pod" if num_hosts(accelerator_type) > 1 else ""
  return f"tpu-vm-tf-{tf_version}{pod}-pjrt"


# ------------------------------------------------------------------ commands
def create_command(tpu: Tpu, spot: bool = False,
                   labels: Optional[dict] = None) -> List[str]:
  """gcloud compute tpus tpu-vm create NAME --zone --accelerator-type ..."""
  cmd = [*TPU_VM, "create", tpu.name, *tpu.location_flags(),
         f"--accelerator-type={tpu.accelerator_type}",
         f"--version={tpu.version}"]
  if spot:
    cmd.append("--spot")
  if labels:
    cmd.append("--labels=" + ",".join(f"{k}={v}"
                                      for k, v in sorted(labels.items())))
  return cmd


def describe_command(tpu: Tpu) -> List[str]:
  return [*TPU_VM, "describe", tpu.name, *tpu.location_flags()]


def delete_command(tpu: Tpu) -> List[str]:
  """Deletes the TPU VM(s); --quiet answers gcloud's confirmation prompt."""
  return [*TPU_VM, "delete", tpu.name, *tpu.location_flags(), "--quiet"]


def ssh_command(tpu: Tpu, remote_command: str, worker: str = "all"
               ) -> List[str]:
  """Runs `remote_command` (a shell string) on `worker` ("all", "0", "0,2")."""
  if not re.fullmatch(r"all|\d+(,\d+)*", worker):
    raise TpuJobError(f"worker={worker!r}: expected 'all' or worker numbers "
                      "such as 0 or 0,1")
  return [*TPU_VM, "ssh", tpu.name, *tpu.location_flags(),
          f"--worker={worker}", f"--command={remote_command}"]


def storage_cp_command(sources: Sequence[str], destination: str,
                       recursive: bool = True) -> List[str]:
  """gcloud storage cp [--recursive] SRC... DST (parallel by default)."""
  if not sources:
    raise TpuJobError("nothing to copy: expected at least one source path")
  cmd = [GCLOUD, "storage", "cp"]
  if recursive:
    cmd.append("--recursive")
  return cmd + list(sources) + [destination]


def bucket_create_command(bucket: str, location: str,
                          project: Optional[str] = None) -> List[str]:
  cmd = [GCLOUD, "storage", "buckets", "create", bucket,
         f"--location={location}"]
  if project:
    cmd.append(f"--project={project}")
  return cmd


def remote(*argv: str) -> str:
  """A shell string for --command=, each word quoted."""
  return " ".join(shlex.quote(a) for a in argv)


def gcs_path(path: str, flag: str) -> str:
  """`path` if it is a gs:// URL; otherwise a TpuJobError naming `flag`.

  TPU hosts read and write through tf.io.gfile and cannot see this machine's
  disk, so everything they touch must be on Cloud Storage.
  """
  if not path.startswith("gs://") or len(path) <= len("gs://"):
    raise TpuJobError(f"{flag}={path!r}: expected a gs://bucket/... path "
                      "(TPU hosts cannot read local files)")
  return path.rstrip("/")


# ------------------------------------------------------------------- running
def format_command(cmd: Sequence[str]) -> str:
  """The command as one line a POSIX shell reads back to the same argv."""
  return shlex.join(cmd)


def run_commands(commands: Sequence[Sequence[str]], dry_run: bool,
                 runner: Callable = subprocess.run, out=None) -> None:
  """Prints each command; unless `dry_run`, runs it and stops at a failure."""
  out = out or sys.stdout
  for cmd in commands:
    print(format_command(cmd), file=out, flush=True)
    if dry_run:
      continue
    try:
      runner(list(cmd), check=True)
    except FileNotFoundError:
      raise TpuJobError(f"{cmd[0]}: not found on PATH (install the Google "
                        "Cloud CLI, or use --dry_run)") from None
    except subprocess.CalledProcessError as e:
      raise TpuJobError(f"command failed with exit code {e.returncode}: "
                        f"{format_command(cmd)}") from None


# --------------------------------------------------------------------- flags
def define_tpu_flags():
  """Flags every tools/tpu script shares. Call once, at module level."""
  flags.DEFINE_string("tpu_name", None, "Name of the TPU VM or pod slice.")
  flags.DEFINE_string("zone", None, "Zone of the TPU, e.g. europe-west4-a.")
  flags.DEFINE_string("project", None,
                      "Google Cloud project (default: gcloud's configured).")
  flags.DEFINE_string("accelerator_type", "v3-8",
                      "TPU type and size, e.g. v3-8 (one host) or v3-32.")
  flags.DEFINE_string(
      "runtime_version", None,
      "TPU software version; default tpu-vm-tf-<installed TF>[-pod]-pjrt.")
  flags.DEFINE_boolean("dry_run", False,
                       "Print the exact gcloud commands and run nothing.")
  flags.mark_flags_as_required(["tpu_name", "zone"])


def tpu_from_flags() -> Tpu:
  f = flags.FLAGS
  return Tpu(name=f.tpu_name, zone=f.zone, accelerator_type=f.accelerator_type,
             project=f.project, runtime_version=f.runtime_version)


def main_wrapper(build_commands: Callable[[], List[List[str]]]):
  """absl `main` for a script: builds the commands, runs or prints them.

  A TpuJobError becomes one line on stderr and exit status 1.
  """
  def main(argv):
    if len(argv) > 1:
      raise SystemExit(f"unexpected arguments: {argv[1:]}")
    try:
      run_commands(build_commands(), dry_run=flags.FLAGS.dry_run)
    except TpuJobError as e:
      print(f"error: {e}", file=sys.stderr)
      raise SystemExit(1) from None
  return main
