"""biom_tf: biomedical BERT, ALBERT and ELECTRA on TensorFlow 2 and Model Garden.

Model Garden (`official.nlp`) is written for Keras 2 (`tf_keras`). TensorFlow
picks its Keras at import time from TF_USE_LEGACY_KERAS, so the variable is set
here, before anything imports TensorFlow. Import biom_tf first.
"""
import os
import sys

if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
  raise ImportError(
      "biom_tf must be imported before tensorflow, or TF_USE_LEGACY_KERAS=1 "
      "set in the environment: Model Garden layers need tf_keras (Keras 2).")
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

