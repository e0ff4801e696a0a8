r"""Data creation benchmark: biom_tf vs Model Garden's create_pretraining_data.

Same corpus, same flags (max_seq_length 128, max_predictions_per_seq 20,
dupe_factor 5, the other flags at google-research/bert's defaults), same run.
Every measurement runs in a fresh process; one-core runs are pinned to one
CPU. Reported per run: instances, wall seconds, CPU seconds (the process
and its workers), instances per second (wall and CPU), peak RSS (the main
process, and the largest worker). Times exclude the Python/TensorFlow import
(printed separately) and include everything after it: building the
tokenizer, reading, tokenizing, masking and writing.

  python -m benchmarks.datagen --output_dir=/tmp/datagen_bench

Corpora: the shared PubMed corpora (1.0 MB, and both files, 2.6 MB), and the
two files repeated to --large_mb megabytes. Model Garden holds every instance
in memory, so it runs on the small corpora only.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import time

from absl import app
from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", "/tmp/biom_datagen_bench",
                    "Scratch directory (corpora and outputs; removed runs).")
flags.DEFINE_string("shared_dir", None,
                    "The shared data directory (default: BIOM_SHARED_DIR or "
                    "../shared beside the repository).")
flags.DEFINE_integer("large_mb", 100, "Size of the large corpus, MB.")
flags.DEFINE_list("workers", ["1", "2"], "--num_workers values on the large "
                  "corpus.")
flags.DEFINE_bool("model_garden", True, "Also run Model Garden.")
flags.DEFINE_string("child", None, "Internal: run one measurement (JSON).")
flags.DEFINE_string("results", None, "Write the results as JSON here.")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_FLAGS = dict(max_seq_length=128, max_predictions_per_seq=20,
                  dupe_factor=5, masked_lm_prob=0.15, short_seq_prob=0.1,
                  random_seed=12345, do_lower_case=True)


# ----------------------------------------------------------------- children
class _Descendants:
  """CPU seconds and peak RSS of this process's descendants (the fork
  server and the workers are not its direct children, so getrusage does not
  see them): sampled every 0.1 s, each process's last reading kept."""

  def __init__(self):
    import psutil  # pylint: disable=g-import-not-at-top
    import threading  # pylint: disable=g-import-not-at-top
    self._psutil = psutil
    self._cpu, self._rss = {}, {}
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, daemon=True)
    self._thread.start()

  def _run(self):
    me = self._psutil.Process()
    while not self._stop.wait(0.1):
      for child in me.children(recursive=True):
        try:
          times = child.cpu_times()
          self._cpu[child.pid] = times.user + times.system
          self._rss[child.pid] = max(self._rss.get(child.pid, 0),
                                     child.memory_info().rss)
        except self._psutil.Error:
          pass

  def stop(self):
    self._stop.set()
    self._thread.join()
    return sum(self._cpu.values()), max(self._rss.values(), default=0) / 2**20


def _rusage():
  self_ = resource.getrusage(resource.RUSAGE_SELF)
  return {"cpu": self_.ru_utime + self_.ru_stime,
          "rss_mb": self_.ru_maxrss / 1024}


def _child_model_garden(spec):
  import biom_tf  # noqa: F401
  import random
  from official.nlp.data import create_pretraining_data as mg
  from official.nlp.tools import tokenization as mg_tokenization
  start, before = time.time(), _rusage()
  tokenizer = mg_tokenization.FullTokenizer(spec["vocab"], do_lower_case=True)
  f = DATA_FLAGS
  instances = mg.create_training_instances(
      [spec["corpus"]], tokenizer, mg.get_processor_text_fn(False, True),
      f["max_seq_length"], f["dupe_factor"], f["short_seq_prob"],
      f["masked_lm_prob"], f["max_predictions_per_seq"],
      random.Random(f["random_seed"]))
  mg.write_instance_to_example_files(
      instances, tokenizer, f["max_seq_length"], f["max_predictions_per_seq"],
      [os.path.join(spec["out"], "mg.tfrecord")], False, False)
  return len(instances), start, before


def _child_ours(spec):
  import biom_tf  # noqa: F401
  from tfrecords import pipeline
  start, before = time.time(), _rusage()
  options = pipeline.DataOptions(model_family="bert", **DATA_FLAGS)
  summary = pipeline.create_pretraining_data(
      spec["corpus"], os.path.join(spec["out"], "ours.tfrecord"),
      vocab_file=spec["vocab"], options=options,
      num_workers=spec["workers"], progress=None)
  return summary.instances, start, before


def run_child(spec):
  """One measurement in this (fresh) process; prints a JSON line."""
  if spec["pin"]:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
  t0 = time.time()
  import biom_tf  # noqa: F401,F811
  import tensorflow  # noqa: F401
  import_s = time.time() - t0
  runner = (_child_model_garden if spec["tool"] == "model_garden"
            else _child_ours)
  descendants = _Descendants()
  instances, start, before = runner(spec)
  wall = time.time() - start
  after = _rusage()
  worker_cpu, worker_rss = descendants.stop()
  print(json.dumps({
      **spec, "instances": instances, "import_s": import_s, "wall_s": wall,
      "cpu_s": after["cpu"] - before["cpu"] + worker_cpu,
      "main_cpu_s": after["cpu"] - before["cpu"], "worker_cpu_s": worker_cpu,
      "rss_mb": after["rss_mb"], "worker_rss_mb": worker_rss}))


# ------------------------------------------------------------------- parent
def _measure(tool, corpus, vocab, workers, pin, label):
  out = os.path.join(FLAGS.output_dir, "out")
  shutil.rmtree(out, ignore_errors=True)
  os.makedirs(out)
  spec = dict(tool=tool, corpus=corpus, vocab=vocab, workers=workers,
              pin=pin, out=out, label=label,
              corpus_mb=os.path.getsize(corpus) / 1e6)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
             PYTHONPATH=os.pathsep.join(
                 [REPO_ROOT, os.environ.get("PYTHONPATH", "")]))
  proc = subprocess.run(
      [sys.executable, "-m", "benchmarks.datagen",
       f"--child={json.dumps(spec)}"],
      cwd=REPO_ROOT, env=env, capture_output=True, text=True)
  shutil.rmtree(out, ignore_errors=True)
  if proc.returncode:
    raise RuntimeError(f"{tool} on {corpus} failed:\n{proc.stderr[-3000:]}")
  result = json.loads(proc.stdout.strip().splitlines()[-1])
  sys.stderr.write(f"{label}: {result['instances']} instances, "
                   f"{result['wall_s']:.1f}s wall, {result['cpu_s']:.1f}s CPU, "
                   f"{result['rss_mb']:.0f} MB\n")
  return result


def _make_corpora(shared):
  small = os.path.join(shared, "data", "corpus", "pubmed_ncbi_disease.txt")
  other = os.path.join(shared, "data", "corpus", "pubmedqa_abstracts.txt")
  os.makedirs(FLAGS.output_dir, exist_ok=True)
  both = os.path.join(FLAGS.output_dir, "both.txt")
  data = b""
  for path in (small, other):
    with open(path, "rb") as f:
      data += f.read().rstrip(b"\n") + b"\n\n"
  with open(both, "wb") as f:
    f.write(data)
  large = os.path.join(FLAGS.output_dir, f"large_{FLAGS.large_mb}mb.txt")
  if not os.path.exists(large):
    with open(large + ".tmp", "wb") as f:
      for _ in range(-(-FLAGS.large_mb * 1_000_000 // len(data))):
        f.write(data)
    os.replace(large + ".tmp", large)
  return small, both, large


def _table(results, baseline):
  lines = ["| run | corpus | workers | instances | wall s | CPU s | "
           "instances/s (wall) | instances/CPU-s | vs MG (CPU) | peak RSS MB "
           "(main / worker) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
  for r in results:
    per_cpu = r["instances"] / r["cpu_s"]
    ratio = per_cpu / baseline if baseline else float("nan")
    worker = f" / {r['worker_rss_mb']:.0f}" if r["workers"] > 1 else ""
    lines.append(
        f"| {r['label']} | {r['corpus_mb']:.1f} MB | {r['workers']} | "
        f"{r['instances']:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
        f"{r['instances'] / r['wall_s']:,.0f} | {per_cpu:,.0f} | "
        f"{ratio:.1f}x | {r['rss_mb']:.0f}{worker} |")
  return "\n".join(lines)


def main(argv):
  del argv
  if FLAGS.child:
    run_child(json.loads(FLAGS.child))
    return 0
  shared = FLAGS.shared_dir or os.environ.get(
      "BIOM_SHARED_DIR", os.path.join(REPO_ROOT, "..", "shared"))
  vocab = os.path.join(shared, "vocab", "bert-base-uncased", "vocab.txt")
  small, both, large = _make_corpora(shared)
  load_at_start = os.getloadavg()
  results = []
  if FLAGS.model_garden:
    results.append(_measure("model_garden", small, vocab, 1, True,
                            "Model Garden"))
    results.append(_measure("model_garden", both, vocab, 1, True,
                            "Model Garden"))
  results.append(_measure("biom_tf", small, vocab, 1, True, "biom_tf"))
  results.append(_measure("biom_tf", both, vocab, 1, True, "biom_tf"))
  for workers in FLAGS.workers:
    results.append(_measure("biom_tf", large, vocab, int(workers),
                            int(workers) == 1, "biom_tf"))
  mg = [r for r in results if r["tool"] == "model_garden"]
  baseline = max(r["instances"] / r["cpu_s"] for r in mg) if mg else None
  print(_table(results, baseline))
  load = os.getloadavg()
  print(f"\nload average (1, 5, 15 min) at the start: {load_at_start[0]:.1f} "
        f"{load_at_start[1]:.1f} {load_at_start[2]:.1f}; at the end: "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; {os.cpu_count()} CPUs")
  if FLAGS.results:
    with open(FLAGS.results, "w") as f:
      json.dump(results, f, indent=1)
  return 0


if __name__ == "__main__":
  app.run(main)
