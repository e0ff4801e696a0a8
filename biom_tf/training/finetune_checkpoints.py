"""A fine-tuning model's checkpoints: `init_checkpoint` read in, the
fine-tuned model written out.

Reading: an encoder from any checkpoint (original TF1, Hugging Face, or our
object checkpoint: `checkpoints.detect.restore`), or, for scoring without
training, a whole fine-tuned model (encoder and head). Writing: the
exporters' `biom` layout (`checkpoints.convert.write`) plus the task's label
map and fine-tuning config, complete or not at all.
"""
import dataclasses
import os
import uuid

import biom_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf

from biom_tf import fileio
from biom_tf import tasks as tasks_lib
from biom_tf.checkpoints import convert
from biom_tf.checkpoints import detect
from biom_tf.checkpoints import tables
from biom_tf.configs import ModelConfig
from biom_tf.models import heads
from biom_tf.training.finetune_settings import FinetuneSettings


def initialize_encoder(encoder, path: str, config: ModelConfig) -> str:
  """Loads `path` (TF1, Hugging Face or our object checkpoint) into `encoder`.

  Object checkpoints hold the encoder under `model/encoder` (ELECTRA
  pretrainer: `model/discriminator`); only encoder variables are read.
  Returns a one-line summary (`checkpoints.detect.restore`).
  """
  return detect.restore(encoder, path, config, encoder_only=True)


def initialize_finetuned_model(model: heads.FineTuningModel, path: str,
                               config: ModelConfig) -> str:
  """Loads a fine-tuned model, encoder and head, into `model`.

  For scoring without training (do_train=false): `path` is one of our
  fine-tuned models (seed_N/model) or a Hugging Face *For... directory
  (an original TF1 checkpoint is a `CheckpointError`).
  """
  return detect.restore_finetuned(model, path, config)


def save_finetuned_model(model: heads.FineTuningModel, directory: str,
                         task: tasks_lib.Task, settings: FinetuneSettings) -> str:
  """The fine-tuned model in the exporters' `biom` layout, plus task files.

  directory/ckpt-1.*, checkpoint   tf.train.Checkpoint(model=model):
                                   `model/encoder`, `model/classifier` or
                                   `model/qa_outputs`
  directory/biom_model.json        family, config, head, num_outputs, labels,
                                   do_lower_case (read by `checkpoints.convert`:
                                   `--input_format=biom` converts it to a
                                   Hugging Face *For... model or a SavedModel)
  directory/vocab.txt | *.model    the tokenizer's vocabulary
  directory/label_map.json         task, head, labels in index order (+ the
                                   negative class, QA window settings)
  directory/finetune_config.json   task, max_seq_length, the HF class and
                                   config fields, head variables' TF1/HF names
  Written under a temporary name and renamed when complete.
  """
  config = settings.config
  staging = f"{directory}.tmp-{uuid.uuid4().hex[:8]}"
  labels = list(task.labels) if model.spec.named_labels else []
  try:
    convert.write(convert.LoadedModel(
        model=model, config=config, head=model.head,
        num_outputs=model.num_outputs, labels=labels,
        vocab_file=settings.vocab_file, spm_model_file=settings.spm_model_file,
        do_lower_case=settings.do_lower_case), staging, "biom")
    fileio.write_json(os.path.join(staging, "label_map.json"), task.label_map())
    fileio.write_json(os.path.join(staging, "finetune_config.json"), {
        "family": config.family,
        "task": task.name,
        "head": model.head,
        "num_outputs": model.num_outputs,
        "max_seq_length": settings.max_seq_length,
        "do_lower_case": settings.do_lower_case,
        "hf_architecture": heads.hf_architecture(config.family, model.head),
        "hf_config_updates": heads.hf_config_updates(model.head, labels),
        "head_variables": [dataclasses.asdict(e) for e in
                           tables.head_table(config, model.spec)],
    })
    if tf.io.gfile.exists(directory):
      tf.io.gfile.rmtree(directory)
    tf.io.gfile.rename(staging, directory)
  finally:
    if tf.io.gfile.exists(staging):
      tf.io.gfile.rmtree(staging)
  return directory
