"""Shared test fixtures.

Real data and checkpoint fixtures live beside the checkout in ../shared (or
wherever BIOM_SHARED_DIR points); tests that need them skip, with the reason,
where it is absent.
"""
import os

from absl import flags
from absl.testing import flagsaver
import biom_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DIR = os.environ.get("BIOM_SHARED_DIR",
                            os.path.join(REPO_ROOT, "..", "shared"))


def shared_path(*parts):
  """Path under the shared fixtures directory; skips the test if it is absent."""
  path = os.path.join(SHARED_DIR, *parts)
  if not os.path.exists(path):
    pytest.skip(f"shared fixture {path} not present (set BIOM_SHARED_DIR)")
  return path


@pytest.fixture
def shared():
  """`shared('data', 'corpus', 'x.txt')` → the path, or skip."""
  return shared_path


def run_absl_tool(tool, argv, capsys):
  """`tool.main` as `python -m tools.<tool> ARGV` runs it, in this process:
  its flags parsed from `argv` and restored afterwards. Returns (exit status,
  stdout, stderr)."""
  name = tool.__name__.rsplit(".", 1)[-1]
  with flagsaver.flagsaver():
    flags.FLAGS([name] + list(argv))
    rc = tool.main([name])
  out = capsys.readouterr()
  return rc, out.out, out.err


def tiny_bert(directory, vocab, do_lower_case=True, **sizes):
  """A tiny BERT pretrainer (initial weights) as a `LoadedModel`, with
  `vocab` (a list of tokens) written to DIRECTORY/vocab.txt: what the export
  and fault tests convert. `sizes` override the config's (hidden 16, 1 layer,
  2 heads, intermediate 24, 16 positions)."""
  from biom_tf import configs  # pylint: disable=g-import-not-at-top
  from biom_tf import models  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import layout  # pylint: disable=g-import-not-at-top
  path = os.path.join(str(directory), "vocab.txt")
  with open(path, "w") as f:
    f.write("\n".join(vocab) + "\n")
  config = configs.ModelConfig(
      family="bert", vocab_size=len(vocab),
      **dict(dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=24, max_position_embeddings=16), **sizes))
  return layout.LoadedModel(models.build_pretrainer(config), config,
                            vocab_file=path, do_lower_case=do_lower_case)
