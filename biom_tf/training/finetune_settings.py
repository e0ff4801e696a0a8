"""What one fine-tuning run is asked to do: `FinetuneSettings` and its checks.

`FinetuneSettings` holds the tool's flags (`tools/run_finetuning.py`,
`tools/run_blurb.py` fill it); `validate` refuses settings that cannot work,
and `resolve_tokenizer` fills in the vocabulary and casing that come with
`init_checkpoint`. Every refusal is a `FinetuneError` with a one-line message.
"""
import dataclasses
from typing import Any, Callable, Dict, Optional, Sequence

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from biom_tf import tokenization
from biom_tf.checkpoints import layout
from biom_tf.configs import ModelConfig


class FinetuneError(ValueError):
  """A fine-tuning setting that cannot work."""


@dataclasses.dataclass
class FinetuneSettings:
  """Everything one `run_finetuning` call needs (the tool's flags)."""
  task: str
  data_dir: str
  output_dir: str
  config: ModelConfig
  vocab_file: Optional[str] = None       # None: found beside init_checkpoint
  spm_model_file: Optional[str] = None
  do_lower_case: Optional[bool] = None   # None: the checkpoint's casing
  init_checkpoint: Optional[str] = None
  # The originals' --do_train / --do_eval / --do_predict: train, then score
  # the devel split, and the test split. Without training, init_checkpoint is
  # a fine-tuned model (encoder and this task's head) that is scored as is.
  do_train: bool = True
  do_eval: bool = True
  do_predict: bool = True
  max_seq_length: int = 128
  train_batch_size: int = 32
  eval_batch_size: int = 64
  learning_rate: float = 5e-5
  num_train_epochs: float = 3.0
  warmup_proportion: float = 0.1
  weight_decay_rate: float = 0.01
  layerwise_lr_decay: float = 1.0
  seeds: Sequence[int] = (1,)
  head_dropout: float = 0.1
  strategy: str = "default"
  tpu_name: Optional[str] = None
  tpu_zone: Optional[str] = None
  gcp_project: Optional[str] = None
  num_tpu_cores: Optional[int] = None    # checked against the TPU's replicas
  save_model: bool = True
  # Task options (see biom_tf.tasks.get_task).
  window_stride: Optional[int] = None
  negative_label: Optional[str] = None
  num_folds: int = 10
  doc_stride: int = 128
  max_query_length: int = 64
  train_split: str = "train"             # NER: 'train_dev' (BioBERT protocol)
  # Speed: pad each batch to a multiple of this (fewer distinct shapes), and
  # compile the training step with XLA (once per batch shape).
  pad_to_multiple_of: int = 8
  jit_compile: bool = False
  log_every: int = 50
  # Train on a fixed random subset of this many training examples (per fold;
  # CI-sized runs); None: all.
  max_train_examples: Optional[int] = None
  # Called after every training step with {'seed', 'step', 'num_steps',
  # 'epoch' (fractional), 'num_epochs', 'loss'} (progress lines, ETAs).
  progress: Optional[Callable[[Dict[str, Any]], None]] = None
  # Called with each line worth a person's attention (the checkpoint read,
  # each seed's scores); they are logged at INFO either way.
  report: Optional[Callable[[str], None]] = None

  def validate(self):
    checks = [
        (self.max_seq_length >= 8, f"max_seq_length={self.max_seq_length}: "
         "expected >= 8"),
        (self.max_seq_length <= self.config.max_position_embeddings,
         f"max_seq_length={self.max_seq_length} exceeds the model's "
         f"max_position_embeddings={self.config.max_position_embeddings}"),
        (self.train_batch_size > 0, f"train_batch_size="
         f"{self.train_batch_size}: expected > 0"),
        (self.eval_batch_size > 0, f"eval_batch_size={self.eval_batch_size}: "
         "expected > 0"),
        (self.learning_rate > 0, f"learning_rate={self.learning_rate}: "
         "expected > 0"),
        (self.num_train_epochs > 0, f"num_train_epochs="
         f"{self.num_train_epochs}: expected > 0"),
        (0 <= self.warmup_proportion < 1, f"warmup_proportion="
         f"{self.warmup_proportion}: expected a value in [0, 1)"),
        (0 < self.layerwise_lr_decay <= 1, f"layerwise_lr_decay="
         f"{self.layerwise_lr_decay}: expected a value in (0, 1]"),
        (len(self.seeds) > 0, "seeds: expected at least one seed"),
        (len(set(self.seeds)) == len(self.seeds), f"seeds={list(self.seeds)}: "
         "repeated seed"),
        (self.max_train_examples is None or self.max_train_examples > 0,
         f"max_train_examples={self.max_train_examples}: expected > 0"),
        (self.do_train or self.do_eval or self.do_predict,
         "at least one of do_train, do_eval or do_predict must be true"),
        (self.do_train or bool(self.init_checkpoint),
         "do_train=false scores a fine-tuned model: pass it as "
         "init_checkpoint"),
        (self.do_train or len(self.seeds) == 1,
         f"seeds={list(self.seeds)}: without training every seed gives the "
         "same scores; pass one seed"),
    ]
    for ok, message in checks:
      if not ok:
        raise FinetuneError(message)


def resolve_tokenizer(settings: FinetuneSettings) -> FinetuneSettings:
  """`settings` with the vocabulary and casing filled in from the checkpoint.

  The vocabulary: `vocab_file`/`spm_model_file`, else the one in the
  checkpoint's directory (found as the exporter finds it). The casing: the
  directory's biom_model.json or tokenizer_config.json
  (`layout.casing_file`), else the vocabulary itself
  (`tokenization.resolve_do_lower_case`); an explicit `do_lower_case` that
  contradicts it raises.
  """
  if settings.init_checkpoint and not (
      tf.io.gfile.exists(settings.init_checkpoint) or
      tf.io.gfile.exists(settings.init_checkpoint + ".index")):
    raise FinetuneError(f"{settings.init_checkpoint}: init_checkpoint not "
                        "found")
  vocab_file, spm_model_file = settings.vocab_file, settings.spm_model_file
  directory = layout.checkpoint_directory(settings.init_checkpoint)
  if not (vocab_file or spm_model_file) and directory:
    vocab_file, spm_model_file = layout.find_tokenizer_files(
        directory, None, None)
  if not (vocab_file or spm_model_file):
    where = (f" (none in {directory}: no vocab.txt or spiece.model)"
             if directory else "")
    raise FinetuneError("no vocabulary: pass --vocab_file (WordPiece) or "
                        f"--spm_model_file (SentencePiece){where}")
  do_lower_case = tokenization.resolve_do_lower_case(
      settings.do_lower_case, vocab_file, spm_model_file,
      layout.casing_file(directory))
  return dataclasses.replace(settings, vocab_file=vocab_file,
                             spm_model_file=spm_model_file,
                             do_lower_case=do_lower_case)


def settings_record(settings: FinetuneSettings) -> Dict[str, Any]:
  """The settings as JSON values (eval_results.json's "settings"): the
  callbacks left out, the config in its original format, plus its family."""
  record = dataclasses.asdict(dataclasses.replace(settings, progress=None,
                                                  report=None))
  del record["progress"], record["report"]
  record["config"] = settings.config.to_original_dict()
  record["family"] = settings.config.family
  record["seeds"] = list(settings.seeds)
  return record
