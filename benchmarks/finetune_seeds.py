"""Pool the seeds of several `benchmarks.finetune` runs and test the F1 target.

  .venv/bin/python -m benchmarks.finetune_seeds \
      --results='/tmp/bench_runs/seeds_*/finetune_benchmark.json' \
      --margin=0.5 [--output=finetune_seeds.json]

Each run of `benchmarks.finetune` writes `finetune_benchmark.json` with the
test entity F1 of biom_tf and of torch for every seed it ran. With dropout
the two frameworks draw different masks, so one seed's difference is mostly
noise (its standard deviation is ~1.5 points on NCBI-disease); the question
"within `margin` points of torch" is a question about the mean paired
difference over seeds. This prints:

  * per seed: both F1s and biom_tf − torch;
  * the mean paired difference, its sample std, standard error, and the 95%
    Student-t interval;
  * the two one-sided tests (TOST) of equivalence within ±margin: the
    difference is shown to lie within the margin at level 5% when the 90%
    interval lies inside (−margin, +margin); the larger one-sided p-value is
    printed;
  * each framework's mean ± std over seeds, their correlation, and the
    training-step ratio of every run;
  * failed runs: a run with test F1 0 predicted no entity at all (training
    fell into the all-`O` solution). They are counted per framework, and
    the statistics are printed twice: over all seeds, and over the seeds
    where neither framework failed (the same rule for both).

Runs must share the benchmark settings (model, steps, dropout, learning
rate, ...); a run with different settings, or a seed seen twice, is an error.
"""
import glob
import json
import math
import os

from absl import app
from absl import flags
import numpy as np
from scipy import stats

FLAGS = flags.FLAGS



def define_flags():
  """Defined only when run as a script: benchmarks.finetune imports this
  module for its statistics and should not get these flags."""
  flags.DEFINE_list("results", None,
                    "finetune_benchmark.json files or globs.")
  flags.DEFINE_float("margin", 0.5, "Equivalence margin in F1 points.")
  flags.DEFINE_string("output", None, "Optional JSON file for the summary.")
  flags.mark_flag_as_required("results")


def mean_std_error(values):
  """(mean, sample std, standard error of the mean); std and error are 0
  for a single value."""
  values = np.asarray(values, dtype=float)
  std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
  return float(values.mean()), std, std / math.sqrt(len(values))


def read_run(path):
  """One finetune_benchmark.json: (its settings, [(seed, biom_tf F1, torch
  F1)], the run's speed summary)."""
  with open(path) as f:
    result = json.load(f)
  settings = {key: result[key] for key in (
      "model", "settings", "steps", "data", "init_checkpoint")}
  f1 = result["test_f1_points"]
  rows = [(int(seed), float(ours), float(theirs)) for seed, ours, theirs in
          zip(result["seeds"], f1["biom_tf"]["per_seed"],
              f1["torch"]["per_seed"])]
  run = {key: result[key] for key in (
      "seeds", "train_speed_ratio", "train_cpu_ratio",
      "end_to_end_train_seconds", "load_average_before",
      "load_average_after")}
  return settings, rows, dict(run, path=path)


def load_runs(patterns):
  """(settings, [(seed, biom_tf F1, torch F1)], [run summaries])."""
  paths = sorted({p for pattern in patterns for p in glob.glob(pattern)})
  if not paths:
    raise ValueError(f"--results: no file matches {patterns}")
  pooled, rows, runs = None, [], []
  for path in paths:
    try:
      settings, run_rows, run = read_run(path)
    except (KeyError, TypeError, json.JSONDecodeError) as e:
      raise ValueError(f"{path}: not a benchmarks.finetune result "
                       f"(missing or bad {e})") from None
    if pooled is None:
      pooled = settings
    elif settings != pooled:
      raise ValueError(f"{path}: benchmark settings differ from "
                       f"{paths[0]}'s; pool only runs of one setting")
    rows += run_rows
    runs.append(run)
  seeds = [r[0] for r in rows]
  repeated = sorted({s for s in seeds if seeds.count(s) > 1})
  if repeated:
    raise ValueError(f"--results: seed(s) {repeated} appear in more than "
                     "one run")
  runs.sort(key=lambda run: min(run["seeds"]))
  return pooled, sorted(rows), runs


def summarize(rows, margin):
  """Paired statistics of biom_tf − torch over seeds (points)."""
  ours = np.array([r[1] for r in rows])
  theirs = np.array([r[2] for r in rows])
  diffs = ours - theirs
  n = len(diffs)
  if n < 2:
    raise ValueError("--results: need at least two seeds for an interval")
  mean, std, se = mean_std_error(diffs)
  t95, t90 = stats.t.ppf(0.975, n - 1), stats.t.ppf(0.95, n - 1)
  # TOST: H0 mean <= -margin and H0 mean >= +margin, each one-sided.
  p_lower = float(stats.t.sf((mean + margin) / se, n - 1))
  p_upper = float(stats.t.cdf((mean - margin) / se, n - 1))
  return {
      "seeds": n, "margin": margin,
      "biom_tf": {"mean": float(ours.mean()), "std": float(ours.std(ddof=1))},
      "torch": {"mean": float(theirs.mean()),
                "std": float(theirs.std(ddof=1))},
      "correlation": float(np.corrcoef(ours, theirs)[0, 1]),
      "difference": {"mean": mean, "std": std, "standard_error": se,
                     "ci95": [mean - t95 * se, mean + t95 * se],
                     "ci90": [mean - t90 * se, mean + t90 * se]},
      "tost_p": max(p_lower, p_upper),
      "equivalent_at_5_percent": max(p_lower, p_upper) < 0.05,
  }


def failed_runs(rows):
  """({framework: seeds whose test F1 is 0}, rows where neither failed)."""
  failed = {name: [r[0] for r in rows if r[i] == 0.0]
            for i, name in ((1, "biom_tf"), (2, "torch"))}
  return failed, [r for r in rows if r[1] != 0.0 and r[2] != 0.0]


def _print_summary(title, summary):
  d = summary["difference"]
  print(f"\n{title}: {summary['seeds']} seeds; biom_tf "
        f"{summary['biom_tf']['mean']:.2f} ± {summary['biom_tf']['std']:.2f}, "
        f"torch {summary['torch']['mean']:.2f} ± "
        f"{summary['torch']['std']:.2f} (correlation "
        f"{summary['correlation']:.2f})")
  print(f"biom_tf − torch: {d['mean']:+.2f} ± {d['std']:.2f} "
        f"(s.e. {d['standard_error']:.2f}); 95% interval "
        f"[{d['ci95'][0]:+.2f}, {d['ci95'][1]:+.2f}]; 90% interval "
        f"[{d['ci90'][0]:+.2f}, {d['ci90'][1]:+.2f}]")
  verdict = ("within" if summary["equivalent_at_5_percent"]
             else "not shown within")
  print(f"TOST against ±{summary['margin']}: p = {summary['tost_p']:.3f} → "
        f"{verdict} ±{summary['margin']} points at the 5% level")


def main(argv):
  del argv
  try:
    settings, rows, runs = load_runs(FLAGS.results)
    summary = summarize(rows, FLAGS.margin)
    failed, kept = failed_runs(rows)
    without_failed = (summarize(kept, FLAGS.margin)
                      if len(kept) < len(rows) else None)
  except ValueError as e:
    raise SystemExit(f"error: {e}") from None
  print("| seed | biom_tf | torch | biom_tf − torch |")
  print("| --- | --- | --- | --- |")
  for seed, ours, theirs in rows:
    print(f"| {seed} | {ours:.2f} | {theirs:.2f} | {ours - theirs:+.2f} |")
  _print_summary("all seeds", summary)
  print(f"failed runs (test F1 0): biom_tf {failed['biom_tf'] or 'none'}, "
        f"torch {failed['torch'] or 'none'}")
  if without_failed:
    _print_summary("seeds where neither run failed", without_failed)
  print("\n| run seeds | step ratio (wall) | step ratio (CPU s) | "
        "end-to-end train s (biom_tf / torch) | load before → after |")
  print("| --- | --- | --- | --- | --- |")
  for run in runs:
    e2e = run["end_to_end_train_seconds"]
    print(f"| {','.join(map(str, run['seeds']))} | "
          f"{run['train_speed_ratio']:.2f}x | {run['train_cpu_ratio']:.2f}x | "
          f"{e2e['biom_tf']:.1f} / {e2e['torch']:.1f} "
          f"({e2e['torch'] / e2e['biom_tf']:.2f}x) | "
          f"{run['load_average_before'][0]:.1f} → "
          f"{run['load_average_after'][0]:.1f} |")
  if FLAGS.output:
    with open(FLAGS.output + ".tmp", "w") as f:
      json.dump({"settings": settings, "rows": rows, "runs": runs,
                 "failed_runs": failed, "summary": summary,
                 "summary_without_failed_runs": without_failed}, f, indent=2)
    os.replace(FLAGS.output + ".tmp", FLAGS.output)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
