"""MultiWorkerMirroredStrategy for real: separate worker processes on localhost.

Each run is a set of `python -m tests.distributed.multi_worker_main`
processes (a tiny BERT and the real Trainer; see that file). TF_CONFIG gives
each worker the cluster (two localhost ports) and its index, as on a cluster.
Every process dumps its weights at each checkpoint (steps 2 and 4) and at the
end. The runs are:

  one      one process, default strategy, global batch 8, 4 steps
  job      two workers under MultiWorkerMirroredStrategy, global batch 8
           (4 per worker), 4 steps; worker 1 is SIGKILLed right after its
           step-2 checkpoint, then worker 0 is killed too, as a scheduler
           restarts a job whose worker died
  resumed  the same job started again in the same folders: it must resume at
           step 2 and finish; then each worker builds the input of a run
           resuming at step 100,000 and counts the records read

Two workers must give one worker's weights both before the kill (step 2) and
after the resume (step 4). `one` and `job` run at the same time (the CPU is
small), then `resumed`. Slow: two to three minutes on two shared cores.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

STEPS = 4
KILL_AFTER = 2
TIMEOUT = 240
LATE_STEP = 100000
# Records per global batch, and in the one input file (multi_worker_main).
GLOBAL_BATCH, RECORDS, SHUFFLE_BLOCK = 8, 21, 100


def _free_ports(n):
  sockets = [socket.socket() for _ in range(n)]
  for s in sockets:
    s.bind(("localhost", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def _start(output_dir, weights_out, log, tf_config=None, extra=()):
  env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="2",
             CUDA_VISIBLE_DEVICES="")
  env.pop("TF_CONFIG", None)
  if tf_config is not None:
    env["TF_CONFIG"] = json.dumps(tf_config)
  return subprocess.Popen(
      [sys.executable, "-m", "tests.distributed.multi_worker_main",
       f"--output_dir={output_dir}", f"--weights_out={weights_out}",
       f"--steps={STEPS}", *extra],
      cwd=REPO_ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def _start_job(root, log_name, kill_worker_1_after=0, extra_flags=()):
  """The two workers of the job (folders root/job/worker<i>)."""
  ports = _free_ports(2)
  cluster = {"worker": [f"localhost:{p}" for p in ports]}
  procs = []
  for i in range(2):
    extra = [f"--kill_after_step={kill_worker_1_after}"] if i == 1 else []
    extra += list(extra_flags)
    procs.append(_start(
        os.path.join(root, "job", f"worker{i}"),
        os.path.join(root, f"job{i}.npz"),
        os.path.join(root, f"{log_name}{i}.log"),
        {"cluster": cluster, "task": {"type": "worker", "index": i}}, extra))
  return procs


def _wait(proc):
  try:
    code = proc.wait(timeout=TIMEOUT)
  except subprocess.TimeoutExpired:
    proc.kill()
    raise
  return code


def _log(root, name):
  with open(os.path.join(root, name + ".log")) as f:
    return f.read()


def _weights(path):
  with np.load(path) as f:
    return {k: f[k] for k in f.files}


def _assert_same_weights(got, want, step):
  assert sorted(got) == sorted(want)
  assert int(got["global_step"]) == int(want["global_step"]) == step
  for name in want:
    # Same examples, same initial weights; only the order of float additions
    # differs (two partial sums all-reduced vs one sum).
    np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6,
                               err_msg=name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  root = str(tmp_path_factory.mktemp("multi_worker"))
  started = []
  try:
    one = _start(os.path.join(root, "one"), os.path.join(root, "one.npz"),
                 os.path.join(root, "one.log"))
    job = _start_job(root, "killed", kill_worker_1_after=KILL_AFTER)
    started += [one, *job]

    # Worker 1 dies by SIGKILL after writing its step-2 checkpoint. Worker 0
    # cannot finish step 3 without it; once worker 0's own step-2
    # checkpoint is complete, kill it too.
    codes = {"killed": [None, _wait(job[1])]}
    deadline = time.time() + TIMEOUT
    step2 = os.path.join(root, f"job0-step{KILL_AFTER}.npz")
    while (not os.path.exists(step2) and job[0].poll() is None and
           time.time() < deadline):
      time.sleep(0.5)
    job[0].send_signal(signal.SIGKILL)
    codes["killed"][0] = _wait(job[0])
    codes["one"] = _wait(one)

    resumed = _start_job(  # the same folders
        root, "resumed",
        extra_flags=[f"--count_reads_at_step={LATE_STEP}"])
    started += resumed
    codes["resumed"] = [_wait(p) for p in resumed]
  finally:
    for proc in started:  # on a timeout or error: leave nothing running
      if proc.poll() is None:
        proc.kill()
        proc.wait()
  return root, codes


def test_two_workers_give_the_weights_of_one(runs):
  root, codes = runs
  assert codes["one"] == 0, _log(root, "one")[-3000:]
  assert codes["killed"][1] == -signal.SIGKILL, _log(root, "killed1")[-3000:]
  log = _log(root, "killed0")
  assert "2 replica(s) x 4 examples" in log and "num_workers = 2" in log
  # Steps 1-2: two workers from scratch, as one worker.
  want = _weights(os.path.join(root, f"one-step{KILL_AFTER}.npz"))
  for i in range(2):
    got = _weights(os.path.join(root, f"job{i}-step{KILL_AFTER}.npz"))
    _assert_same_weights(got, want, KILL_AFTER)
  # Steps 3-4, after the restart (the next test checks the restart itself).
  assert codes["resumed"] == [0, 0], _log(root, "resumed0")[-3000:]
  want = _weights(os.path.join(root, "one.npz"))
  for i in range(2):
    _assert_same_weights(_weights(os.path.join(root, f"job{i}.npz")), want,
                         STEPS)
  # Training moved the weights: step 2 and step 4 differ.
  step2 = _weights(os.path.join(root, f"one-step{KILL_AFTER}.npz"))
  assert any(not np.allclose(step2[k], want[k]) for k in want
             if k != "global_step")


def test_killed_worker_resumes_from_last_checkpoint(runs):
  root, codes = runs
  assert codes["killed"][1] == -signal.SIGKILL
  assert "killed after step 2" in _log(root, "killed1")
  assert codes["resumed"] == [0, 0], _log(root, "resumed0")[-3000:]
  for i in range(2):
    log = _log(root, f"resumed{i}")
    assert ("resumed from" in log and
            f"ckpt-{KILL_AFTER} at step {KILL_AFTER}" in log), log[-3000:]
    assert f"step {KILL_AFTER}/{STEPS}" in log
    assert f"done at step {STEPS}" in log


def test_only_the_chief_writes_the_output_dir(runs):
  """Worker 0 (the chief) owns output_dir; worker 1 keeps its checkpoints
  in output_dir/worker-1 and writes no config, metrics or summaries."""
  root, codes = runs
  assert codes["resumed"] == [0, 0]
  chief, other = (os.path.join(root, "job", f"worker{i}") for i in range(2))
  assert os.path.exists(os.path.join(chief, "metrics.jsonl"))
  assert os.path.exists(os.path.join(chief, "bert_config.json"))
  assert os.path.exists(os.path.join(chief, "train"))
  assert os.path.exists(os.path.join(chief, f"ckpt-{STEPS}.index"))
  assert not os.path.exists(os.path.join(chief, "worker-0"))
  for name in ("metrics.jsonl", "bert_config.json", "train", "checkpoint"):
    assert not os.path.exists(os.path.join(other, name)), name
  assert os.path.exists(os.path.join(other, "worker-1", f"ckpt-{STEPS}.index"))


def test_resuming_late_reads_a_constant_number_of_records(runs):
  """Each worker's input at step 100,000 reads at most the file once through
  (to reach the offset in it), the shuffle blocks around the position and
  what the prefetch buffers take: far from the 800,000 records that reading
  and discarding the trained batches would cost."""
  root, codes = runs
  assert codes["resumed"] == [0, 0], _log(root, "resumed0")[-3000:]
  for i in range(2):
    log = _log(root, f"resumed{i}")
    marker = f"records read to resume at step {LATE_STEP}: "
    assert marker in log, log[-3000:]
    read = int(log.split(marker)[1].split()[0])
    assert 0 < read <= RECORDS + 3 * SHUFFLE_BLOCK + 8 * GLOBAL_BATCH, read
    assert read < LATE_STEP * GLOBAL_BATCH / 1000
