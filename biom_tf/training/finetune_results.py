"""eval_results.json: a fine-tuning run's scores, merged with earlier seeds.

  {"task", "main_metric", "labels", "num_folds", "unit": "fraction",
   "settings": {...}, "runs": {"seed_1": {"devel": {..}, "test": {..},
   "train": {..}}, ..}, "mean": {split: {metric: ..}}, "std": {..}}

Scores are fractions (F1 0.8731, not 87.31). `previous_runs` reads the file
already in output_dir, so that a rerun keeps the earlier seeds (a rerun seed
replaces its own); their settings must agree on everything that changes the
scores (`_RESULT_SETTINGS`).
"""
import json
import os
from typing import Any, Dict

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import tensorflow as tf

from biom_tf import fileio
from biom_tf import tasks as tasks_lib
from biom_tf.training.finetune_settings import FinetuneError
from biom_tf.training.finetune_settings import FinetuneSettings
from biom_tf.training.finetune_settings import settings_record

RESULTS_FILE = "eval_results.json"
# Settings that change the scores: seeds merged into one eval_results.json
# must agree on them.
_RESULT_SETTINGS = (
    "task", "family", "config", "init_checkpoint", "do_lower_case",
    "max_seq_length", "train_batch_size", "learning_rate", "num_train_epochs",
    "warmup_proportion", "weight_decay_rate", "layerwise_lr_decay",
    "head_dropout", "window_stride", "negative_label", "num_folds",
    "doc_stride", "max_query_length", "max_train_examples", "train_split",
    "do_train")


def _comparable(name: str, value):
  value = json.loads(json.dumps(value))
  if name == "init_checkpoint" and value and "://" not in value:
    value = os.path.abspath(value)
  return value


def previous_runs(settings: FinetuneSettings) -> Dict[str, Any]:
  """The runs already in output_dir/eval_results.json ({} if none).

  Raises FinetuneError if the file is damaged or its seeds were run with
  settings that change the scores (it cannot be merged with this run).
  """
  path = os.path.join(settings.output_dir, RESULTS_FILE)
  if not tf.io.gfile.exists(path):
    return {}
  previous = fileio.read_json_value(
      path, FinetuneError, "earlier results",
      hint="move it away or use another --output_dir")
  runs = previous.get("runs") if isinstance(previous, dict) else None
  if not isinstance(runs, dict):
    raise FinetuneError(f"{path}: not a results file (no 'runs'); move it "
                        "away or use another --output_dir")
  old = previous.get("settings", {})
  new = settings_record(settings)
  for name in _RESULT_SETTINGS:
    if name in old and name in new and (_comparable(name, old[name]) !=
                                        _comparable(name, new[name])):
      shown = ("the model config differs" if name == "config" else
               f"{name}={old[name]!r}, this run has {name}={new[name]!r}")
      raise FinetuneError(
          f"{path}: holds seeds run with other settings ({shown}); use "
          "another --output_dir")
  return dict(runs)


def _seed_number(run_name: str) -> int:
  try:
    return int(run_name.rsplit("_", 1)[-1])
  except ValueError:
    return 0


def _numeric(metrics: Dict[str, Any]) -> Dict[str, float]:
  return {k: float(v) for k, v in metrics.items()
          if isinstance(v, (int, float)) and not isinstance(v, bool)}


def summarize(runs: Dict[str, Dict[str, Dict[str, Any]]]) -> Dict[str, Any]:
  """Mean and (population) std over runs of every numeric metric per split."""
  mean, std = {}, {}
  splits = sorted({s for run in runs.values() for s in run
                   if isinstance(run[s], dict)})
  for split in splits:
    values = [_numeric(run[split]) for run in runs.values() if split in run]
    keys = sorted(set.intersection(*(set(v) for v in values)))
    mean[split] = {k: float(np.mean([v[k] for v in values])) for k in keys}
    std[split] = {k: float(np.std([v[k] for v in values])) for k in keys}
  return {"mean": mean, "std": std}


def results(task: tasks_lib.Task, num_folds: int, settings: FinetuneSettings,
            runs: Dict[str, Any]) -> Dict[str, Any]:
  """eval_results.json: every run (seed), their mean and std per split."""
  runs = {name: runs[name] for name in sorted(runs, key=_seed_number)}
  record = settings_record(settings)
  record["seeds"] = [_seed_number(name) for name in runs]
  values = {"task": task.name, "main_metric": task.main_metric,
            "labels": list(task.labels), "num_folds": num_folds,
            "unit": "fraction",  # scores in [0, 1] (correlations [-1, 1])
            "settings": record, "runs": runs}
  values.update(summarize({k: {s: v for s, v in r.items() if s != "train"}
                           for k, r in runs.items()}))
  return values
