"""TensorFlow, imported at its first use.

`from biom_tf.lazy_tf import tf` gives a stand-in for the module that
imports TensorFlow when one of its attributes is first read. The modules
that read and write files (`biom_tf.fileio`; `tfrecords`' corpus, writer,
pubmed) use it, so that worker processes which only parse text and write
local files (PubMed conversion) start in a fraction of a second instead of
importing TensorFlow (seconds each). `import biom_tf` still comes first in
those modules.
"""
import importlib


class _LazyModule:
  """A module imported at the first attribute access."""

  def __init__(self, name: str):
    self._name = name
    self._module = None

  def __getattr__(self, attr):
    if self._module is None:
      self._module = importlib.import_module(self._name)
    return getattr(self._module, attr)


tf = _LazyModule("tensorflow")
