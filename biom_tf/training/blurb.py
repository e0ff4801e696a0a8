"""The BLURB benchmark: find its datasets, fine-tune each over seeds, score.

BLURB (Gu et al. 2021, "Domain-Specific Language Model Pretraining for
Biomedical Natural Language Processing", Table 3; microsoft.github.io/BLURB)
has thirteen datasets in six task types. Its score is the macro average over
task types of the macro average over each type's datasets, so that NER's five
datasets weigh as much as BIOSSES alone:

  type score  = mean over the type's datasets of the dataset's score
  BLURB score = mean over the six task types of the type score

A dataset's score is its test metric (BLURB's, per dataset below), averaged
over seeds. Where some datasets are absent, the types that have at least one
dataset are averaged and the result says how many of the six it covers.

`run_blurb(settings)` (what `tools/run_blurb.py` calls):

  1. finds the datasets under `data_dir` by their usual directory names
     (`BC5CDR-chem`, `NCBI-disease`, `chemprot`, `blurb/hoc`, ...; see
     `DATASETS`); the others are listed as skipped;
  2. for every (dataset, seed) not already in `output_dir/blurb_runs.json`,
     fine-tunes with the dataset's recipe (`biom_tf.tasks.recipes`, the
     `blurb-*` entries) through `biom_tf.training.finetune.run_finetuning`,
     and records the scores in `blurb_runs.json` (rewritten atomically after
     every pair, so an interrupted run resumes where it stopped); a dataset
     is read and encoded once for all its seeds (`biom_tf.tasks.reuse`);
  3. writes the table:

       output_dir/blurb_results.json   per dataset (mean, std, per seed), per
                                       type, the BLURB score, skipped sets
       output_dir/blurb_results.md     the same as Markdown tables
       output_dir/blurb_scores.png     per-dataset scores with the seed spread
                                       (matplotlib; without it an SVG,
                                       blurb_scores.svg, written directly)
       output_dir/<dataset>/           run_finetuning's output of each dataset

Scores are fractions (Pearson in [-1, 1]); tables print points (x 100). The
spread is the population standard deviation over seeds, as run_finetuning's
`eval_results.json` gives it.
"""
import dataclasses
import hashlib
import itertools
import json
import math
import os
import re
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from biom_tf import fileio
from biom_tf import tokenization
from biom_tf.configs import ModelConfig
from biom_tf.recipes import settings_from
from biom_tf.tasks import recipes as recipes_lib
from biom_tf.tasks import reuse
from biom_tf.tasks.data import DataError
from biom_tf.training import finetune

# BLURB's six task types, in the paper's order.
TASK_TYPES = ("ner", "pico", "relation", "similarity", "classification", "qa")
TASK_TYPE_NAMES = {
    "ner": "Named entity recognition",
    "pico": "PICO extraction",
    "relation": "Relation extraction",
    "similarity": "Sentence similarity",
    "classification": "Document classification",
    "qa": "Question answering",
}

RUNS_FILE = "blurb_runs.json"
RESULTS_FILE = "blurb_results.json"
TABLE_FILE = "blurb_results.md"
CHART_STEM = "blurb_scores"


class BlurbError(ValueError):
  """A BLURB setting or output directory that cannot work."""


@dataclasses.dataclass(frozen=True)
class Dataset:
  """One BLURB dataset: where it is found, how it is run and scored.

  Attributes:
    key: identifier used in file names and `--datasets` (e.g. 'bc5-chem').
    name: BLURB's name of the dataset.
    task_type: one of TASK_TYPES.
    task: the `biom_tf.tasks.get_task` name that reads and scores it.
    metric: key of BLURB's metric in the task's metrics; None: the task's
      `main_metric`.
    metric_name: BLURB's metric, as its paper names it.
    dir_names: directory names it is distributed under (matched without case
      and punctuation).
    recipe: the `biom_tf.tasks.recipes` entry it is fine-tuned with.
    task_options: extra `FinetuneSettings` fields the task needs.
  """
  key: str
  name: str
  task_type: str
  task: str
  metric_name: str
  dir_names: Tuple[str, ...]
  recipe: str
  metric: Optional[str] = None
  task_options: Tuple[Tuple[str, Any], ...] = ()


# Metrics: BLURB paper Table 3 and microsoft.github.io/BLURB/tasks.html.
DATASETS = (
    Dataset("bc5-chem", "BC5-chem", "ner", "ner", "entity-level F1",
            ("BC5CDR-chem", "BC5CDR-chem-IOB", "bc5-chem", "bc5chem"),
            "blurb-bc5-chem"),
    Dataset("bc5-disease", "BC5-disease", "ner", "ner", "entity-level F1",
            ("BC5CDR-disease", "BC5CDR-disease-IOB", "bc5-disease",
             "bc5disease"), "blurb-bc5-disease"),
    Dataset("ncbi-disease", "NCBI-disease", "ner", "ner", "entity-level F1",
            ("NCBI-disease", "NCBI-disease-IOB", "ncbi"), "blurb-ncbi-disease"),
    Dataset("bc2gm", "BC2GM", "ner", "ner", "entity-level F1",
            ("BC2GM", "BC2GM-IOB"), "blurb-bc2gm"),
    Dataset("jnlpba", "JNLPBA", "ner", "ner", "entity-level F1",
            ("JNLPBA", "JNLPBA-IOB"), "blurb-jnlpba"),
    Dataset("ebm-pico", "EBM PICO", "pico", "pico", "macro word-level F1",
            ("ebmnlp", "EBM-NLP", "ebm-pico", "ebm_pico", "pico"),
            "blurb-ebm-pico"),
    Dataset("chemprot", "ChemProt", "relation", "chemprot", "micro F1",
            ("ChemProt", "chemprot"), "blurb-chemprot"),
    Dataset("ddi", "DDI", "relation", "ddi", "micro F1",
            ("DDI", "ddi2013", "DDI-2013", "ddicorpus"), "blurb-ddi"),
    Dataset("gad", "GAD", "relation", "gad", "micro F1", ("GAD",),
            "blurb-gad"),
    Dataset("biosses", "BIOSSES", "similarity", "biosses", "Pearson",
            ("BIOSSES",), "blurb-biosses"),
    Dataset("hoc", "HoC", "classification", "hoc", "micro F1 (per abstract)",
            ("HoC", "hallmarks-of-cancer"), "blurb-hoc"),
    Dataset("pubmedqa", "PubMedQA", "qa", "pubmedqa", "accuracy",
            ("PubMedQA", "pqal"), "blurb-pubmedqa", metric="accuracy"),
    Dataset("bioasq", "BioASQ", "qa", "bioasq_yesno", "accuracy",
            ("BioASQ", "bioasq-yesno", "bioasq_yesno"), "blurb-bioasq",
            metric="accuracy"),
)
DATASETS_BY_KEY = {d.key: d for d in DATASETS}


def get_dataset(key: str) -> Dataset:
  norm = _normalize(key)
  for dataset in DATASETS:
    if norm in {_normalize(dataset.key), _normalize(dataset.name)}:
      return dataset
  raise BlurbError(f"unknown BLURB dataset {key!r}; expected some of "
                   f"{', '.join(d.key for d in DATASETS)}")


# ------------------------------------------------------------ finding data
def _normalize(name: str) -> str:
  """'BC5CDR-chem-IOB' → 'bc5cdrchem': lower-cased alphanumerics, no IOB."""
  norm = re.sub(r"[^a-z0-9]", "", name.lower())
  return norm[:-3] if norm.endswith("iob") and len(norm) > 3 else norm


def find_datasets(data_dir: str, keys: Optional[Sequence[str]] = None
                  ) -> Tuple[Dict[str, str], List[str]]:
  """({dataset key: its directory}, [keys of the datasets not found]).

  Looks in `data_dir` and in each of its subdirectories (`data/blurb/hoc`),
  the shallower match first.
  """
  if not tf.io.gfile.isdir(data_dir):
    raise BlurbError(f"--data_dir={data_dir}: directory not found")
  wanted = [get_dataset(k) for k in keys] if keys else list(DATASETS)
  candidates = []  # (depth, normalized name, path)
  for name in sorted(tf.io.gfile.listdir(data_dir)):
    path = os.path.join(data_dir, name.rstrip("/"))
    if not tf.io.gfile.isdir(path):
      continue
    candidates.append((0, _normalize(name.rstrip("/")), path))
    for sub in sorted(tf.io.gfile.listdir(path)):
      sub_path = os.path.join(path, sub.rstrip("/"))
      if tf.io.gfile.isdir(sub_path):
        candidates.append((1, _normalize(sub.rstrip("/")), sub_path))
  candidates.sort(key=lambda c: c[0])
  found, skipped = {}, []
  for dataset in wanted:
    names = {_normalize(n) for n in dataset.dir_names + (dataset.key,)}
    match = next((path for _, norm, path in candidates if norm in names), None)
    if match:
      found[dataset.key] = match
    else:
      skipped.append(dataset.key)
  return found, skipped


# ---------------------------------------------------------------- the table
def _mean_std(values: Sequence[float]) -> Tuple[float, float]:
  return float(np.mean(values)), float(np.std(values))


def blurb_table(scores: Dict[str, Dict[int, float]],
                skipped: Sequence[str] = ()) -> Dict[str, Any]:
  """The BLURB table from per-dataset, per-seed scores.

  Args:
    scores: {dataset key: {seed: score}} (fractions), datasets with at least
      one finished seed.
    skipped: keys of the datasets not run.
  Returns:
    {"datasets": {key: {name, task_type, metric, mean, std, seeds: {seed:
     score}}}, "task_types": {type: {name, mean, std, datasets: [keys]}},
     "blurb_score": {mean, std, task_types: n, complete: bool}, "skipped":
     [keys]}. A type's mean is the mean of its datasets' means; the BLURB
     score is the mean of the type means. Type and BLURB std are over seeds
     (seed s of every dataset), on the seeds all their datasets share.
  """
  datasets = {}
  for key in (d.key for d in DATASETS):
    if key not in scores or not scores[key]:
      continue
    dataset = DATASETS_BY_KEY[key]
    per_seed = {int(s): float(v) for s, v in scores[key].items()}
    mean, std = _mean_std(list(per_seed.values()))
    datasets[key] = {"name": dataset.name, "task_type": dataset.task_type,
                     "metric": dataset.metric_name, "mean": mean, "std": std,
                     "seeds": {str(s): per_seed[s] for s in sorted(per_seed)}}

  def seed_spread(keys):
    common = set.intersection(*(set(datasets[k]["seeds"]) for k in keys))
    return common

  task_types = {}
  for task_type in TASK_TYPES:
    keys = [k for k in datasets if datasets[k]["task_type"] == task_type]
    if not keys:
      continue
    mean = float(np.mean([datasets[k]["mean"] for k in keys]))
    common = seed_spread(keys)
    per_seed = {s: float(np.mean([datasets[k]["seeds"][s] for k in keys]))
                for s in sorted(common, key=int)}
    task_types[task_type] = {
        "name": TASK_TYPE_NAMES[task_type], "mean": mean,
        "std": float(np.std(list(per_seed.values()))) if per_seed else None,
        "seeds": per_seed, "datasets": keys}
  blurb = None
  if task_types:
    common = set.intersection(*(set(t["seeds"]) for t in task_types.values()))
    per_seed = {s: float(np.mean([t["seeds"][s] for t in task_types.values()]))
                for s in sorted(common, key=int)}
    blurb = {"mean": float(np.mean([t["mean"] for t in task_types.values()])),
             "std": (float(np.std(list(per_seed.values()))) if per_seed
                     else None),
             "seeds": per_seed, "task_types": len(task_types),
             "complete": len(task_types) == len(TASK_TYPES)}
  return {"datasets": datasets, "task_types": task_types, "blurb_score": blurb,
          "skipped": [k for k in (d.key for d in DATASETS) if k in skipped]}


def _points(value: Optional[float], std: Optional[float] = None) -> str:
  if value is None:
    return "—"
  text = f"{100 * value:.2f}"
  if std is not None:
    text += f" ± {100 * std:.2f}"
  return text


def table_markdown(table: Dict[str, Any], title: str = "BLURB") -> str:
  """The table as Markdown: datasets, task types, the BLURB score."""
  lines = [f"### {title}", "",
           "| dataset | task type | metric | seeds | test score |",
           "| --- | --- | --- | --- | --- |"]
  for key, row in table["datasets"].items():
    lines.append(f"| {row['name']} | {TASK_TYPE_NAMES[row['task_type']]} | "
                 f"{row['metric']} | {len(row['seeds'])} | "
                 f"{_points(row['mean'], row['std'])} |")
  lines += ["", "| task type | datasets | score |", "| --- | --- | --- |"]
  for task_type, row in table["task_types"].items():
    names = ", ".join(table["datasets"][k]["name"] for k in row["datasets"])
    lines.append(f"| {row['name']} | {names} | "
                 f"{_points(row['mean'], row['std'])} |")
  blurb = table["blurb_score"]
  lines.append("")
  if blurb:
    coverage = ("all six task types" if blurb["complete"] else
                f"{blurb['task_types']} of 6 task types")
    lines.append(f"**BLURB score: {_points(blurb['mean'], blurb['std'])}** "
                 f"(macro average over task types; {coverage})")
  else:
    lines.append("**BLURB score: —** (no dataset finished)")
  if table["skipped"]:
    names = ", ".join(DATASETS_BY_KEY[k].name for k in table["skipped"])
    lines += ["", f"Skipped (not found): {names}"]
  failed = table.get("failed") or {}
  if failed:
    lines += ["", "Failed:"] + [f"- {DATASETS_BY_KEY[k].name}: {m}"
                                for k, m in failed.items()]
  return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the chart
def _chart_rows(table):
  return [(row["name"], 100 * row["mean"], 100 * row["std"],
           [100 * v for v in row["seeds"].values()])
          for row in table["datasets"].values()]


def write_chart(table: Dict[str, Any], output_dir: str,
                use_matplotlib: bool = True) -> Optional[str]:
  """Per-dataset scores (bars: seed mean; whiskers: ± std; dots: seeds).

  PNG through matplotlib where it is installed, else an SVG written here.
  Returns the path, or None without datasets.
  """
  rows = _chart_rows(table)
  if not rows:
    return None
  plt = None
  if use_matplotlib:
    try:
      import matplotlib  # pylint: disable=g-import-not-at-top
      matplotlib.use("Agg")
      import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
    except ImportError:
      plt = None
  if plt is not None:
    path = os.path.join(output_dir, CHART_STEM + ".png")
    figure, axes = plt.subplots(figsize=(max(4.0, 0.9 * len(rows) + 1.5), 4))
    x = np.arange(len(rows))
    axes.bar(x, [r[1] for r in rows], yerr=[r[2] for r in rows], capsize=4,
             color="#8fb4d9", edgecolor="#35608a")
    for i, row in enumerate(rows):
      axes.plot([i] * len(row[3]), row[3], "k.", markersize=4)
    axes.set_xticks(x)
    axes.set_xticklabels([r[0] for r in rows], rotation=30, ha="right")
    axes.set_ylabel("test score (points)")
    blurb = table["blurb_score"]
    axes.set_title(f"BLURB {100 * blurb['mean']:.2f}" if blurb else "BLURB")
    figure.tight_layout()
    fileio.write_png(path, figure)
    plt.close(figure)
    return path
  path = os.path.join(output_dir, CHART_STEM + ".svg")
  fileio.write_atomic(path, chart_svg(rows, table["blurb_score"]))
  return path


def chart_svg(rows, blurb) -> str:
  """A bar chart as SVG text: (name, mean, std, seed values) in points."""
  width, height, left, bottom, top = 80 * len(rows) + 80, 320, 50, 90, 30
  plot_h = height - bottom - top
  high = max([100.0] + [r[1] + r[2] for r in rows] + [v for r in rows
                                                      for v in r[3]])
  low = min([0.0] + [r[1] - r[2] for r in rows] + [v for r in rows
                                                   for v in r[3]])

  def y(value):
    return top + plot_h * (high - value) / (high - low)

  out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
         f'height="{height}" font-family="sans-serif" font-size="11">',
         f'<text x="{width / 2}" y="18" text-anchor="middle">'
         + (f"BLURB {100 * blurb['mean']:.2f}" if blurb else "BLURB")
         + "</text>",
         f'<line x1="{left}" y1="{y(low)}" x2="{width - 20}" y2="{y(low)}" '
         'stroke="black"/>',
         f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(low)}" '
         'stroke="black"/>']
  for tick in range(int(math.ceil(low / 20)) * 20, int(high) + 1, 20):
    out.append(f'<text x="{left - 4}" y="{y(tick) + 4}" text-anchor="end">'
               f"{tick}</text>")
  for i, (name, mean, std, seeds) in enumerate(rows):
    cx = left + 40 + 80 * i
    zero = y(max(low, 0.0))
    out.append(f'<rect x="{cx - 20}" y="{min(y(mean), zero)}" width="40" '
               f'height="{abs(zero - y(mean))}" fill="#8fb4d9" '
               'stroke="#35608a"/>')
    out.append(f'<line x1="{cx}" y1="{y(mean - std)}" x2="{cx}" '
               f'y2="{y(mean + std)}" stroke="black"/>')
    for value in seeds:
      out.append(f'<circle cx="{cx}" cy="{y(value)}" r="2"/>')
    label = (name.replace("&", "&amp;").replace("<", "&lt;")
             .replace(">", "&gt;"))
    out.append(f'<text x="{cx}" y="{y(low) + 14}" text-anchor="end" '
               f'transform="rotate(-30 {cx} {y(low) + 14})">{label}</text>')
  out.append("</svg>")
  return "\n".join(out) + "\n"


# ---------------------------------------------------------------- settings
@dataclasses.dataclass
class BlurbSettings:
  """What one `run_blurb` call needs (the tool's flags).

  Fields left None take each dataset's recipe value; set, they override it
  for every dataset (CI-sized runs: max_train_examples, num_train_epochs,
  max_seq_length).
  """
  data_dir: str
  output_dir: str
  config: ModelConfig
  vocab_file: Optional[str] = None
  spm_model_file: Optional[str] = None
  do_lower_case: bool = True
  init_checkpoint: Optional[str] = None
  seeds: Sequence[int] = (1, 2, 3, 4, 5)
  datasets: Optional[Sequence[str]] = None
  max_train_examples: Optional[int] = None
  num_train_epochs: Optional[float] = None
  max_seq_length: Optional[int] = None
  learning_rate: Optional[float] = None
  train_batch_size: Optional[int] = None
  eval_batch_size: int = 64
  strategy: str = "default"
  tpu_name: Optional[str] = None
  save_model: bool = False
  jit_compile: bool = False

  def validate(self):
    if not self.seeds:
      raise BlurbError("seeds: expected at least one seed")
    if len(set(self.seeds)) != len(self.seeds):
      raise BlurbError(f"seeds={list(self.seeds)}: repeated seed")
    for name in ("max_train_examples", "max_seq_length", "train_batch_size"):
      value = getattr(self, name)
      if value is not None and value <= 0:
        raise BlurbError(f"{name}={value}: expected > 0")
    for name in ("num_train_epochs", "learning_rate"):
      value = getattr(self, name)
      if value is not None and not value > 0:
        raise BlurbError(f"{name}={value}: expected > 0")
    for key in self.datasets or ():
      get_dataset(key)


_OVERRIDES = ("max_train_examples", "num_train_epochs", "max_seq_length",
              "learning_rate", "train_batch_size")


def finetune_values(dataset: Dataset, settings: BlurbSettings
                    ) -> Dict[str, Any]:
  """The dataset's recipe with the settings' overrides (FinetuneSettings
  field values, seeds excluded)."""
  recipe = recipes_lib.RECIPES[dataset.recipe]
  values = recipe.flags()
  values.pop("seeds")
  values.pop("do_lower_case", None)  # the checkpoint's casing (settings)
  for name in _OVERRIDES:
    if getattr(settings, name) is not None:
      values[name] = getattr(settings, name)
  values["max_seq_length"] = min(values["max_seq_length"],
                                 settings.config.max_position_embeddings)
  values.update(dict(dataset.task_options))
  return values


def fingerprint(settings: BlurbSettings) -> Dict[str, Any]:
  """What makes runs comparable: a finished pair is reused only if equal."""
  config = json.dumps(settings.config.to_original_dict(), sort_keys=True)
  return {"init_checkpoint": settings.init_checkpoint,
          "config_sha1": hashlib.sha1(config.encode()).hexdigest()[:12],
          "do_lower_case": settings.do_lower_case,
          "vocab": settings.vocab_file or settings.spm_model_file,
          **{name: getattr(settings, name) for name in _OVERRIDES}}


# ---------------------------------------------------------------- progress
def _clock(seconds: float) -> str:
  seconds = int(round(max(seconds, 0)))
  return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
  """Progress lines: dataset, seed, epoch, step, loss and an ETA.

  The ETA adds the current run's remaining training steps (at its measured
  step time; for k-fold tasks, of the current fold) and, for the pairs still
  to come, the mean duration of finished pairs of the same dataset (else of
  any dataset, else the current pair's projected duration) in this process.
  """

  def __init__(self, pairs: List[Tuple[str, int]], write: Callable[[str], None],
               min_interval: float = 10.0):
    self.pending = list(pairs)
    self.total = len(pairs)
    self.write = write
    self.min_interval = min_interval
    self.durations: Dict[str, List[float]] = {}
    self.current = None
    self._start = 0.0
    self._last_line = 0.0
    self._last_epoch = 0

  def _pending_estimate(self, current: Optional[float] = None
                        ) -> Optional[float]:
    """Seconds the pending pairs should take: each as its dataset's finished
    pairs took, else as all finished pairs, else as `current` (the running
    pair's projected duration)."""
    everything = [d for ds in self.durations.values() for d in ds]
    total = 0.0
    for key, _ in self.pending:
      known = self.durations.get(key) or everything
      if known:
        total += float(np.mean(known))
      elif current is not None:
        total += current
      else:
        return None
    return total

  def start(self, key: str, name: str, seed: int):
    self.pending.remove((key, seed))
    self.current = (key, name, seed)
    self._start = self._last_line = time.time()
    self._last_epoch = 0
    self._last_step = 0
    self._first_step_end = self._start
    self._fold = 1
    done = self.total - len(self.pending)
    self.write(f"[{done}/{self.total}] {name} seed {seed}: fine-tuning")

  def step(self, info: Dict[str, Any]):
    """The `FinetuneSettings.progress` callback."""
    now = time.time()
    if info["step"] <= self._last_step:  # k-fold tasks: the next fold began
      self._fold += 1
      self._last_epoch = 0
    self._last_step = info["step"]
    if info["step"] == 1:  # the first step traces the graph: time from here
      self._first_step_end = now
    epoch = int(math.floor(info["epoch"] + 1e-9))
    last = info["step"] == info["num_steps"]
    if not (last or epoch > self._last_epoch or
            now - self._last_line >= self.min_interval):
      return
    self._last_epoch, self._last_line = max(epoch, self._last_epoch), now
    if info["step"] > 1:
      per_step = (now - self._first_step_end) / (info["step"] - 1)
      remaining = per_step * (info["num_steps"] - info["step"])
      rest = self._pending_estimate(current=now - self._start + remaining)
      eta = _clock(remaining + rest) if rest is not None else "?"
    else:
      eta = "?"
    _, name, seed = self.current
    fold = f" fold {self._fold}" if self._fold > 1 else ""
    self.write(f"  {name} seed {seed}{fold} epoch {info['epoch']:.1f}/"
               f"{info['num_epochs']:g} step {info['step']}/"
               f"{info['num_steps']} loss {info['loss']:.4f} ETA {eta}")

  def finish(self, score: float, metric: str):
    key, name, seed = self.current
    seconds = time.time() - self._start
    self.durations.setdefault(key, []).append(seconds)
    rest = self._pending_estimate()
    self.write(f"  {name} seed {seed}: test {metric} {100 * score:.2f} "
               f"({_clock(seconds)}; ETA "
               f"{_clock(rest) if rest is not None else '?'})")


# ------------------------------------------------------------------ driver
def _load_runs(path: str, current: Dict[str, Any]) -> Dict[str, Any]:
  if not tf.io.gfile.exists(path):
    return {"fingerprint": current, "runs": {}}
  state = fileio.read_json_value(path, BlurbError, "run_blurb record",
                                 hint="move it away to start over")
  if not isinstance(state, dict) or "runs" not in state:
    raise BlurbError(f"{path}: not a run_blurb record (no 'runs')")
  previous = state.get("fingerprint", {})
  changed = sorted(k for k in set(previous) | set(current)
                   if previous.get(k) != current.get(k))
  if changed:
    what = ", ".join(f"{k}: {previous.get(k)!r} → {current.get(k)!r}"
                     for k in changed)
    raise BlurbError(f"{path}: finished runs were made with other settings "
                     f"({what}); use another --output_dir")
  return state


def _seed_record(dataset: Dataset, results: Dict[str, Any], seed: int,
                 values: Dict[str, Any]) -> Dict[str, Any]:
  """What blurb_runs.json keeps of one (dataset, seed) run's eval_results."""
  run = results["runs"][f"seed_{seed}"]
  metric = dataset.metric or results["main_metric"]
  scores = {}
  for split in ("devel", "test"):
    if metric not in run.get(split, {}):
      raise BlurbError(f"{dataset.name}: task {dataset.task} gives no "
                       f"{metric!r} on {split} (it gives "
                       f"{sorted(run.get(split, {}))})")
    scores[split] = float(run[split][metric])
  return {"metric": metric, "test": scores["test"], "devel": scores["devel"],
          "test_metrics": {k: v for k, v in run["test"].items()
                           if isinstance(v, (int, float))},
          "train": run.get("train", {}),
          "settings": {k: v for k, v in values.items()}}


def run_blurb(settings: BlurbSettings,
              write: Callable[[str], None] = print,
              finetune_fn: Optional[Callable[..., Dict[str, Any]]] = None
              ) -> Dict[str, Any]:
  """Fine-tunes every present dataset over the seeds; writes and returns the
  table (see the module docstring). Finished (dataset, seed) pairs in
  `output_dir/blurb_runs.json` are not run again.

  `finetune_fn(FinetuneSettings) -> eval_results` defaults to
  `biom_tf.training.finetune.run_finetuning`.
  """
  finetune_fn = finetune_fn or finetune.run_finetuning
  settings.validate()
  found, skipped = find_datasets(settings.data_dir, settings.datasets)
  tf.io.gfile.makedirs(settings.output_dir)
  runs_path = os.path.join(settings.output_dir, RUNS_FILE)
  state = _load_runs(runs_path, fingerprint(settings))
  runs = state["runs"]
  for key in skipped:
    write(f"{DATASETS_BY_KEY[key].name}: not found under "
          f"{settings.data_dir}, skipped")
  pairs = [(key, seed) for key in found for seed in settings.seeds
           if str(seed) not in runs.get(key, {})]
  reused = len(found) * len(settings.seeds) - len(pairs)
  if reused:
    write(f"resuming: {reused} finished (dataset, seed) run(s) in {runs_path} "
          "are kept")
  progress = Progress(pairs, write)
  failed = {}
  tokenizer = None
  for key, dataset_pairs in itertools.groupby(pairs, key=lambda p: p[0]):
    dataset = DATASETS_BY_KEY[key]
    values = finetune_values(dataset, settings)
    # The dataset is read and encoded once, for all its seeds.
    with reuse.shared_tasks():
      for _, seed in dataset_pairs:
        if key in failed:
          progress.pending.remove((key, seed))
          continue
        progress.start(key, dataset.name, seed)
        # The fields both settings have, from `settings` (vars: not
        # dataclasses.asdict, which would turn `config` into a dict).
        finetune_settings = settings_from(
            finetune.FinetuneSettings, vars(settings),
            task=dataset.task, data_dir=found[key],
            output_dir=os.path.join(settings.output_dir, key), seeds=[seed],
            log_every=0, progress=progress.step, **values)
        try:
          if tokenizer is None:
            tokenizer = tokenization.build_tokenizer(
                settings.vocab_file, settings.spm_model_file,
                settings.do_lower_case)
          results = finetune_fn(finetune_settings, tokenizer=tokenizer)
        except DataError as e:  # this dataset's files; the others still run
          failed[key] = str(e)
          write(f"  {dataset.name}: error: {e}")
          continue
        record = _seed_record(dataset, results, seed, values)
        runs.setdefault(key, {})[str(seed)] = record
        fileio.write_json(runs_path, state)
        progress.finish(record["test"], record["metric"])
  table = blurb_table({key: {int(s): r["test"] for s, r in runs[key].items()
                             if int(s) in settings.seeds}
                       for key in found if key in runs}, skipped)
  table["failed"] = failed
  table["settings"] = {**state["fingerprint"], "seeds": list(settings.seeds),
                       "data_dir": settings.data_dir,
                       "recipes": {k: DATASETS_BY_KEY[k].recipe
                                   for k in found}}
  fileio.write_json(os.path.join(settings.output_dir, RESULTS_FILE), table)
  fileio.write_atomic(os.path.join(settings.output_dir, TABLE_FILE),
                      table_markdown(table))
  table["chart"] = write_chart(table, settings.output_dir)
  table["trained_pairs"] = len(pairs) - sum(
      1 for k, _ in pairs if k in failed)
  return table
