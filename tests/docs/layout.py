"""Tiny files under the names the docs use, and running a doc's commands.

The data is the demo corpus bundled with the package (biom_tf/demo/*.txt),
tiny configs (hidden 32, 2 layers) with random TF1 checkpoints written by
biom_tf, and subsets of ../shared's NCBI-disease.
"""
import glob
import gzip
import os
import subprocess
import sys
from typing import List, Optional
from xml.sax import saxutils

import biom_tf  # noqa: F401

from tests.conftest import REPO_ROOT
from tests.conftest import shared_path
from tests.training.conftest import build_small_vocab
from tests.training.conftest import tiny_config

DEMO_DIR = os.path.join(REPO_ROOT, "biom_tf", "demo")


def demo_files() -> List[str]:
  return sorted(glob.glob(os.path.join(DEMO_DIR, "*.txt")))


def demo_documents(path: str) -> List[List[str]]:
  """Documents (lists of sentences) of one corpus file."""
  with open(path, encoding="utf-8") as f:
    blocks = f.read().split("\n\n")
  return [[s for s in b.split("\n") if s.strip()] for b in blocks if b.strip()]


def write_pubmed_xml(path: str, documents: List[List[str]], first_pmid=1):
  """A gzipped PubMed baseline file: title = first sentence, abstract = rest."""
  articles = []
  for i, doc in enumerate(documents):
    title, abstract = doc[0], " ".join(doc[1:]) or doc[0]
    articles.append(
        f"<PubmedArticle><MedlineCitation><PMID>{first_pmid + i}</PMID>"
        f"<Article><ArticleTitle>{saxutils.escape(title)}</ArticleTitle>"
        f"<Abstract><AbstractText>{saxutils.escape(abstract)}</AbstractText>"
        "</Abstract></Article></MedlineCitation></PubmedArticle>")
  text = ('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n' +
          "\n".join(articles) + "\n</PubmedArticleSet>\n")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with gzip.open(path, "wt", encoding="utf-8") as f:
    f.write(text)
  return path


def demo_vocab(path: str, num_words=300) -> int:
  """A small WordPiece vocab.txt of the demo corpus; returns its size."""
  corpus = path + ".corpus"
  with open(corpus, "w", encoding="utf-8") as out:
    for name in demo_files():
      with open(name, encoding="utf-8") as f:
        out.write(f.read())
  size = build_small_vocab(corpus, path, num_words=num_words)
  os.remove(corpus)
  return size


def write_tf1_checkpoint(directory: str, prefix: str, config_name: str,
                         family="bert", vocab_size=500, max_seq_length=128,
                         **overrides) -> str:
  """A random tiny model as an original TF1 checkpoint and its config."""
  from biom_tf import checkpoints  # pylint: disable=g-import-not-at-top
  from biom_tf import models  # pylint: disable=g-import-not-at-top
  os.makedirs(directory, exist_ok=True)
  config = tiny_config(family, vocab_size,
                       max_position_embeddings=max_seq_length, **overrides)
  config.to_json_file(os.path.join(directory, config_name))
  model = models.build_pretrainer(config)
  return checkpoints.save_tf1_checkpoint(model, os.path.join(directory, prefix),
                                         config)


def ncbi_subset(directory: str, sentences=24):
  """The first `sentences` sentences of each NCBI-disease split."""
  os.makedirs(directory, exist_ok=True)
  for split in ("train", "devel", "test"):
    with open(shared_path("data", "ncbi-disease", f"{split}.tsv"),
              encoding="utf-8") as f:
      blocks = f.read().split("\n\n")[:sentences]
    with open(os.path.join(directory, f"{split}.tsv"), "w",
              encoding="utf-8") as f:
      f.write("\n\n".join(blocks) + "\n")
  return directory


def environment(extra: Optional[dict] = None) -> dict:
  """`python` is this interpreter; `tools` importable from any directory."""
  env = dict(os.environ)
  env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
  env["PYTHONPATH"] = REPO_ROOT
  env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  env.update(extra or {})
  return env


def run_bash(script: str, cwd: str, timeout=900, env=None):
  return subprocess.run(["bash", "-c", script], cwd=cwd, env=environment(env),
                        capture_output=True, text=True, timeout=timeout)


def run_python(code: str, cwd: str, timeout=300):
  return subprocess.run([sys.executable, "-c", code], cwd=cwd,
                        env=environment(), capture_output=True, text=True,
                        timeout=timeout)
