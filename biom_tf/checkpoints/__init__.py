"""Checkpoint formats: every format's reading, writing and detection.

  tables       name tables per family (ours ↔ TF1 ↔ Hugging Face), heads too
  integrity    checked reading of TF1/object checkpoints
  tf1          original google-research checkpoints
  huggingface  transformers directories (config.json + model.safetensors)
  savedmodel   TF Hub BERT SavedModels (write only)
  layout       the biom layout and each format's file names; `LoadedModel`
  detect       which format a path is, its config, `restore` into a model
  convert      load any format / write any format (`convert_checkpoint`)

Everything above `checkpoints` (training, tools) reaches a format through
these modules; `biom_tf.models` imports nothing from here.
Every reader goes through `integrity` (`open_reader`,
`check_readable`): a truncated or bit-flipped file is one
`CheckpointError` line, `PREFIX: damaged checkpoint (WHAT)`.
"""
from biom_tf.checkpoints.integrity import CheckpointError
from biom_tf.checkpoints.integrity import check_readable
from biom_tf.checkpoints.integrity import open_reader
from biom_tf.checkpoints.tables import Entry
from biom_tf.checkpoints.tables import table_for
from biom_tf.checkpoints.tf1 import LoadReport
from biom_tf.checkpoints.tf1 import load_tf1_checkpoint
from biom_tf.checkpoints.tf1 import resolve_checkpoint_path
from biom_tf.checkpoints.tf1 import save_tf1_checkpoint
