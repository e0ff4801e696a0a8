"""The Cloud TPU job scripts print exactly the gcloud commands they would run.

Each script runs as a user runs it (`python -m tools.tpu.<script> --dry_run`)
in a subprocess; the expected lines are written out in full here, from the
gcloud reference (`gcloud compute tpus tpu-vm create|ssh|delete --help`,
`gcloud storage cp --help`).
"""
import os
import shlex
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tools.tpu import gcloud

TPU = ["--tpu_name=biom-electra-base", "--zone=europe-west4-a",
       "--accelerator_type=v3-32", "--project=my-project"]
PREFIX = ("gcloud compute tpus tpu-vm {verb} biom-electra-base "
          "--zone=europe-west4-a --project=my-project")


def dry_run(script, *args):
  """argv lists of the commands `script --dry_run` prints."""
  proc = subprocess.run(
      [sys.executable, "-m", f"tools.tpu.{script}", "--dry_run", *args],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
      env=dict(os.environ, PYTHONPATH=REPO_ROOT))
  assert proc.returncode == 0, proc.stderr
  return [shlex.split(line) for line in proc.stdout.splitlines()]


def test_create_v3_32_pod_slice():
  create, describe = dry_run("create_tpu", *TPU)
  assert create == shlex.split(PREFIX.format(verb="create")) + [
      "--accelerator-type=v3-32", "--version=tpu-vm-tf-2.20.0-pod-pjrt",
      "--labels=app=biom_tf"]
  assert describe == shlex.split(PREFIX.format(verb="describe"))


def test_create_single_host_spot_with_explicit_version():
  (create, _) = dry_run("create_tpu", "--tpu_name=t", "--zone=us-central1-a",
                        "--accelerator_type=v3-8", "--spot",
                        "--runtime_version=tpu-vm-tf-2.20.0-pjrt")
  assert create == ["gcloud", "compute", "tpus", "tpu-vm", "create", "t",
                    "--zone=us-central1-a", "--accelerator-type=v3-8",
                    "--version=tpu-vm-tf-2.20.0-pjrt", "--spot",
                    "--labels=app=biom_tf"]


def test_setup_hosts_installs_on_every_worker():
  (ssh,) = dry_run("setup_hosts", *TPU,
                   "--package=gs://bkt/wheels/biom_tf-0.1.0-py3-none-any.whl")
  assert ssh[:-1] == shlex.split(PREFIX.format(verb="ssh")) + ["--worker=all"]
  assert ssh[-1] == (
      "--command=gcloud storage cp gs://bkt/wheels/biom_tf-0.1.0-py3-none-any"
      ".whl /tmp/biom_tf-0.1.0-py3-none-any.whl && python3 -m pip install "
      "--upgrade /tmp/biom_tf-0.1.0-py3-none-any.whl && python3 -c "
      "'import biom_tf, tensorflow as tf; print(tf.__version__)'")


def test_stage_data_copies_to_gcs():
  bucket, cp = dry_run("stage_data", "--sources=data/tfrecords,vocab.txt",
                       "--destination=gs://bkt/biom-electra-base/",
                       "--create_bucket_location=europe-west4",
                       "--project=my-project")
  assert bucket == ["gcloud", "storage", "buckets", "create", "gs://bkt",
                    "--location=europe-west4", "--project=my-project"]
  assert cp == ["gcloud", "storage", "cp", "--recursive", "data/tfrecords",
                "vocab.txt", "gs://bkt/biom-electra-base/"]


def test_launch_pretraining_on_all_workers_with_recipe_flags():
  (ssh,) = dry_run("launch_pretraining", *TPU, "--recipe=biom_electra_base",
                   "--input_file=gs://bkt/e/tfrecords/*.tfrecord",
                   "--output_dir=gs://bkt/e/model",
                   "--run_flags=--save_checkpoints_steps=10000")
  assert ssh[:-1] == shlex.split(PREFIX.format(verb="ssh")) + ["--worker=all"]
  remote = ssh[-1]
  assert remote.startswith("--command=mkdir -p biom_tf_logs && nohup ")
  assert remote.endswith(
      " > biom_tf_logs/run_pretraining.log 2>&1 < /dev/null &")
  body = remote[len("--command=mkdir -p biom_tf_logs && nohup "):
                -len(" > biom_tf_logs/run_pretraining.log 2>&1 < /dev/null &")]
  assert shlex.split(body) == [
      "python3", "-m", "tools.run_pretraining", "--recipe=biom_electra_base",
      "--input_file=gs://bkt/e/tfrecords/*.tfrecord",
      "--output_dir=gs://bkt/e/model", "--do_train", "--use_tpu",
      "--strategy=tpu", "--tpu_name=biom-electra-base",
      "--tpu_zone=europe-west4-a", "--gcp_project=my-project",
      "--save_checkpoints_steps=10000"]


def test_launch_single_host_uses_local_tpu():
  (ssh,) = dry_run("launch_pretraining", "--tpu_name=t", "--zone=z-a",
                   "--accelerator_type=v3-8", "--recipe=r",
                   "--input_file=gs://b/x", "--output_dir=gs://b/y")
  assert "--tpu_name=local" in shlex.split(ssh[-1][len("--command="):])


def test_follow_logs_and_teardown():
  (tail,) = dry_run("follow_logs", *TPU)
  assert tail == shlex.split(PREFIX.format(verb="ssh")) + [
      "--worker=0", "--command=tail -n 100 -F biom_tf_logs/run_pretraining.log"]
  (delete,) = dry_run("teardown", *TPU)
  assert delete == shlex.split(PREFIX.format(verb="delete")) + ["--quiet"]


@pytest.mark.parametrize("script,args,message", [
    ("stage_data", ["--sources=a", "--destination=/tmp/out"],
     "destination='/tmp/out': expected a gs://bucket/... path"),
    ("launch_pretraining", TPU + ["--recipe=r", "--input_file=data/*.tfrecord",
                                  "--output_dir=gs://b/m"],
     "input_file='data/*.tfrecord': expected a gs://bucket/... path"),
    ("create_tpu", ["--tpu_name=t", "--zone=z", "--accelerator_type=v3"],
     "accelerator_type='v3': expected <generation>-<size>"),
    ("follow_logs", TPU + ["--worker=first"], "worker='first': expected"),
])
def test_bad_settings_are_one_line_errors(script, args, message):
  proc = subprocess.run(
      [sys.executable, "-m", f"tools.tpu.{script}", "--dry_run", *args],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
      env=dict(os.environ, PYTHONPATH=REPO_ROOT))
  assert proc.returncode == 1
  assert proc.stdout == ""
  lines = proc.stderr.strip().splitlines()
  assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), lines


def test_runtime_version_rule():
  assert gcloud.default_runtime_version("v3-8", "2.20.0") == (
      "tpu-vm-tf-2.20.0-pjrt")
  assert gcloud.default_runtime_version("v3-512", "2.20.0rc1") == (
      "tpu-vm-tf-2.20.0-pod-pjrt")
  assert [gcloud.num_hosts(t) for t in ("v3-8", "v3-32", "v3-512")] == [1, 4, 64]


def test_run_commands_stops_at_the_first_failure():
  ran = []

  def runner(cmd, check):
    ran.append(cmd)
    raise subprocess.CalledProcessError(2, cmd)

  with pytest.raises(gcloud.TpuJobError, match="exit code 2: gcloud storage"):
    gcloud.run_commands([["gcloud", "storage", "cp", "a", "gs://b/"],
                         ["never"]], dry_run=False, runner=runner,
                        out=open(os.devnull, "w"))
  assert ran == [["gcloud", "storage", "cp", "a", "gs://b/"]]
