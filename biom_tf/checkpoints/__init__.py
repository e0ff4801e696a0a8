"""Checkpoint formats: name tables per family and their readers/writers."""
from biom_tf.checkpoints.tables import Entry
from biom_tf.checkpoints.tables import table_for
from biom_tf.checkpoints.tf1 import CheckpointError
from biom_tf.checkpoints.tf1 import LoadReport
from biom_tf.checkpoints.tf1 import load_tf1_checkpoint
from biom_tf.checkpoints.tf1 import resolve_checkpoint_path
from biom_tf.checkpoints.tf1 import save_tf1_checkpoint
