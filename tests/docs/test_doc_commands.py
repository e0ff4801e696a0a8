"""Docs are tests: every fenced command of README.md and docs/*.md runs here.

Each shell block runs through bash exactly as written, in a temporary
directory that holds tiny data under the names the doc uses, after the only
two substitutions (tests/docs/doc_commands.py): CLOUD (the default strategy
for a TPU, `--dry_run` for the gcloud scripts, a local folder for a gs://
bucket, one localhost worker for a TF_CONFIG cluster) and SIZES (CI-sized
values for the size flags named there). Python blocks run as written with
the few Python-level stand-ins listed at the test. A fenced block that no
test here runs fails `test_every_block_is_run`.
"""
import gzip
import json
import os
import re
import shlex
import shutil
import socket

import pytest

from tests.conftest import REPO_ROOT
from tests.docs import doc_commands
from tests.docs import layout
from tests.docs.doc_commands import Block

# Every fenced block, by (doc, its first command's start, or its first line
# for output blocks) → the test that runs or checks it. A new block, or one
# whose first command changed, is not in here: test_every_block_is_run fails.
RUNNERS = {
    ("README.md", "make demo"): "test_readme_make_commands",
    ("README.md", "import biom_tf"): "test_readme_python_block",
    ("README.md", "python -m tools.pubmed_to_text"): "test_readme_pipeline",
    ("docs/tpu.md", "export PROJECT=my-project"): "test_tpu_walkthrough",
    ("docs/tpu.md", "gcloud compute tpus tpu-vm create"):
        "test_tpu_walkthrough",  # the printed output of step 3's --dry_run
    ("docs/tpu.md", "hours = num_train_steps"): None,  # arithmetic, not code
    ("docs/tpu.md", "import apache_beam as beam"): "test_tpu_beam_block",
    ("docs/tpu.md", "python -m tools.create_pretraining_data --runner="):
        "test_tpu_beam_block",
    ("docs/tpu.md", "TF_CONFIG="): "test_tpu_multi_worker_block",
    ("docs/architecture.md",
     "tools/        thin absl CLIs: flags → one library call, one-line errors"):
        None,  # the package diagram, not code
}


def _key(block: Block):
  if block.language in doc_commands.SHELL_LANGUAGES:
    first = doc_commands.shell_commands(block.text)[0].text
  else:
    first = block.text.strip().split("\n")[0].strip()
  for (doc, start), _ in RUNNERS.items():
    if doc == block.doc and first.startswith(start):
      return (doc, start)
  return None


def _block(doc, start) -> Block:
  (block,) = [b for b in doc_commands.fenced_blocks(doc)
              if _key(b) == (doc, start)]
  return block


def _failure(block: Block, proc) -> str:
  line = doc_commands.failed_line(proc.stderr)
  return (f"{block.doc}:{line}: documented command failed (exit "
          f"{proc.returncode})\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n"
          f"{proc.stderr[-5000:]}")


def _outputs(stdout: str):
  """{doc line: stdout of that command} of a ci_script run."""
  out, line = {}, None
  for text in stdout.split("\n"):
    match = re.match(r"^@@ (\d+)$", text)
    if match:
      line = int(match.group(1))
      out[line] = []
    elif line is not None:
      out[line].append(text)
  return {k: "\n".join(v).strip("\n") for k, v in out.items()}


def _script(block: Block, bucket_dir=None, replace=()):
  """The block as a CI script; each command's stdout follows `@@ line`."""
  commands = doc_commands.shell_commands(block.text, block.line)
  for old, new in replace:
    found = [c for c in commands if old in c.text]
    assert found, f"{block.name}: stand-in for {old!r} matches no command"
    for c in found:
      c.text = c.text.replace(old, new)
  return doc_commands.ci_script(commands, bucket_dir)


# ---------------------------------------------------------------- parsing
def test_parser_joins_continuations_and_drops_comments():
  text = ("# a comment\n"
          "python -m tools.x --a='b c' \\\n"
          "  --d=1  # trailing comment\n"
          "\n"
          "FOO='{\"x\": 1,\n"
          "  \"y\": 2}' \\\n"
          "python -m tools.y --url=http://h/#frag\n"
          "echo '# not a comment'\n")
  commands = doc_commands.shell_commands(text, first_line=10)
  assert [(c.line, c.text) for c in commands] == [
      (11, "python -m tools.x --a='b c' --d=1"),
      (14, "FOO='{\"x\": 1, \"y\": 2}' python -m tools.y --url=http://h/#frag"),
      (17, "echo '# not a comment'")]


def test_substitutions_touch_only_the_named_flags():
  command = ("python -m tools.run_pretraining --num_train_steps=100000 "
             "--num_train_steps_x=7 --train_batch_size=256 --use_tpu "
             "--tpu_name=my-tpu --strategy=tpu --output_dir=gs://b/run")
  assert doc_commands.ci_command(command, "/tmp/bucket") == (
      "python -m tools.run_pretraining --num_train_steps=4 "
      "--num_train_steps_x=7 --train_batch_size=4 --strategy=default "
      "--output_dir=/tmp/bucket/b/run")
  assert doc_commands.ci_command(
      "python -m tools.tpu.teardown --tpu_name=$TPU") == (
          "python -m tools.tpu.teardown --tpu_name=$TPU --dry_run")


def test_every_block_is_run():
  """A fenced block that no test runs (or checks) is a defect."""
  unrun = []
  for block in doc_commands.all_blocks():
    key = _key(block)
    if key is None:
      unrun.append(f"{block.name} ({block.language or 'no language'}): "
                   f"{block.text.strip().splitlines()[0]!r}")
    elif RUNNERS[key] is not None:
      assert RUNNERS[key] in globals(), RUNNERS[key]
    else:
      assert block.language not in doc_commands.SHELL_LANGUAGES + ("python",)
  assert not unrun, ("fenced blocks that no test runs; add a runner to "
                     "tests/docs/test_doc_commands.py:\n" + "\n".join(unrun))
  # And no runner is left over from a block that is gone.
  keys = {_key(b) for b in doc_commands.all_blocks()}
  assert set(RUNNERS) <= keys, sorted(set(RUNNERS) - keys)


# ----------------------------------------------------------------- README
def test_readme_make_commands():
  """`make test` is CI's command (not run recursively here); `make demo` is
  `python -m tools.demo`, which tests/training/test_demo.py runs with CI
  sizes (--num_train_steps=20 --max_seq_length=32 --train_batch_size=16)."""
  block = _block("README.md", "make demo")
  commands = [c.text for c in doc_commands.shell_commands(block.text)]
  assert commands == ["make demo", "make test"]
  with open(os.path.join(REPO_ROOT, ".ci", "run")) as f:
    ci = [l.strip() for l in f if l.strip() and not l.startswith("#")]
  assert ci[-1] == "make test"
  with open(os.path.join(REPO_ROOT, "Makefile")) as f:
    makefile = f.read()
  recipes = dict(re.findall(r"^(\w+):[^\n]*\n\t([^\n]+)", makefile, re.M))
  assert recipes["demo"] == "$(PY) -m tools.demo"
  assert recipes["test"].startswith("$(PY) -m pytest") and "tests" in recipes["test"]
  with open(os.path.join(REPO_ROOT, "tests", "training", "test_demo.py")) as f:
    assert '"tools.demo", f"--output_dir=' in f.read()


@pytest.mark.slow
def test_readme_python_block(tmp_path):
  """The "Models and checkpoints" example, on a tiny BERT laid out as
  biobert_v1.1/ (bert_config.json, model.ckpt-1000000, vocab.txt)."""
  block = _block("README.md", "import biom_tf")
  os.makedirs(tmp_path / "biobert_v1.1")
  vocab_size = layout.demo_vocab(str(tmp_path / "biobert_v1.1" / "vocab.txt"))
  layout.write_tf1_checkpoint(str(tmp_path / "biobert_v1.1"),
                              "model.ckpt-1000000", "bert_config.json",
                              vocab_size=vocab_size)
  # The comment names the outputs: print them to check.
  promised = re.search(r"# outputs: (.*)", block.text).group(1)
  names = re.findall(r"(\w+) \[([^\]]*)\]", promised)
  check = ("\nprint(json.dumps({k: list(v.shape) for k, v in outputs.items()}))"
           "\n")
  proc = layout.run_python("import json\n" + block.text + check, str(tmp_path))
  assert proc.returncode == 0, proc.stderr[-5000:]
  shapes = json.loads(proc.stdout.strip().splitlines()[-1])
  hidden = 32
  expected = {"B": 1, "S": 6, "H": hidden, "P": 1, "V": vocab_size, "2": 2}
  for name, dims in names:
    assert shapes.get(name) == [expected[d.strip()] for d in dims.split(",")], (
        name, shapes)
  assert (tmp_path / "out" / "bert_model.ckpt.index").exists()


@pytest.mark.slow
def test_readme_pipeline(tmp_path):
  """PubMed XML → corpus → vocab → records → continued pretraining →
  fine-tuning → HF export, the README's six commands in order."""
  block = _block("README.md", "python -m tools.pubmed_to_text")
  documents = [d for f in layout.demo_files() for d in layout.demo_documents(f)]
  half = len(documents) // 2
  layout.write_pubmed_xml(str(tmp_path / "baseline" / "pubmed25n0001.xml.gz"),
                          documents[:half])
  layout.write_pubmed_xml(str(tmp_path / "baseline" / "pubmed25n0002.xml.gz"),
                          documents[half:], first_pmid=10000)
  os.makedirs(tmp_path / "more")
  with open(layout.demo_files()[0], "rb") as f, \
      gzip.open(tmp_path / "more" / "extra.txt.gz", "wb") as out:
    out.write(f.read())
  # The model being continued: SIZES makes the vocabulary 500 words.
  layout.write_tf1_checkpoint(str(tmp_path), "bert_model.ckpt",
                              "bert_config.json",
                              vocab_size=int(doc_commands.SIZES["--vocab_size"]))
  layout.ncbi_subset(str(tmp_path / "ncbi-disease"))
  proc = layout.run_bash(_script(block), str(tmp_path))
  assert proc.returncode == 0, _failure(block, proc)
  assert sorted(f for f in os.listdir(tmp_path / "corpus")
                if not f.startswith(".")) == [
      "pubmed25n0001.txt", "pubmed25n0002.txt"]
  assert os.path.exists(tmp_path / "records" / "pubmed.tfrecord-00000-of-00002")
  with open(tmp_path / "ner" / "eval_results.json") as f:
    assert json.load(f)
  assert (tmp_path / "hf_model" / "config.json").exists()
  assert (tmp_path / "hf_model" / "vocab.txt").exists()


# ---------------------------------------------------------------- tpu.md
# launch_pretraining's remote command runs here with the CLOUD stand-ins and
# these CI sizes in place of the recipe's (500K steps, batch 1024, ELECTRA-
# Base): a tiny ELECTRA config, 2 steps of 2 sequences.
RECIPE_SIZES = ("--train_batch_size=2", "--num_train_steps=2",
                "--num_warmup_steps=1")


def _gcloud_storage_cp(argv, bucket_root, cwd):
  """`gcloud storage cp [--recursive] SRC... gs://DST`, copied locally."""
  assert argv[:3] == ["gcloud", "storage", "cp"], argv
  paths = [a for a in argv[3:] if not a.startswith("--")]
  *sources, destination = paths
  destination = destination.replace("gs://", bucket_root + "/")
  os.makedirs(destination, exist_ok=True)
  for source in sources:
    source = os.path.join(cwd, source)
    target = os.path.join(destination, os.path.basename(source))
    if os.path.isdir(source):
      shutil.copytree(source, target)
    else:
      shutil.copy(source, target)


def _remote_argv(ssh_line: str):
  """The `python3 -m tools.run_pretraining ...` argv inside an ssh line."""
  argv = shlex.split(ssh_line)
  (command,) = [a[len("--command="):] for a in argv
                if a.startswith("--command=")]
  remote = shlex.split(command)
  start = remote.index("nohup") + 1
  return remote[start:remote.index(">", start)]


@pytest.mark.slow
def test_tpu_walkthrough(tmp_path):
  """Steps 1-7 with --dry_run; then the staging step's copy and step 5's
  remote command run here (a local folder as the bucket, the default
  strategy), and step 3's printed commands are the doc's."""
  block = _block("docs/tpu.md", "export PROJECT=my-project")
  for name in layout.demo_files():
    os.makedirs(tmp_path / "pubmed", exist_ok=True)
    shutil.copy(name, tmp_path / "pubmed")
  vocab_size = layout.demo_vocab(str(tmp_path / "vocab.txt"))
  os.makedirs(tmp_path / "dist")
  (tmp_path / "dist" / "biom_tf-0.1.0-py3-none-any.whl").write_bytes(b"wheel")
  proc = layout.run_bash(_script(block), str(tmp_path))
  assert proc.returncode == 0, _failure(block, proc)
  outputs = _outputs(proc.stdout)
  commands = {c.line: c.text for c in
              doc_commands.shell_commands(block.text, block.line)}
  line = {tool: n for n, text in commands.items()
          for tool in re.findall(r"-m tools\.(?:tpu\.)?(\w+)", text)}

  # Step 3's output is the one the doc shows.
  shown = _block("docs/tpu.md", "gcloud compute tpus tpu-vm create")
  assert outputs[line["create_tpu"]] == shown.text.strip()

  # Step 2: the staging, done locally as gcloud would.
  bucket_root = str(tmp_path / "gcs")
  for text in outputs[line["stage_data"]].splitlines():
    argv = shlex.split(text)
    if argv[:3] == ["gcloud", "storage", "cp"]:
      _gcloud_storage_cp(argv, bucket_root, str(tmp_path))

  # Step 5: the command every host runs, here on one CPU host.
  (ssh,) = outputs[line["launch_pretraining"]].splitlines()
  argv = _remote_argv(ssh)
  assert argv[:3] == ["python3", "-m", "tools.run_pretraining"]
  config = str(tmp_path / "tiny_electra_config.json")
  layout.tiny_config("electra", vocab_size,
                     max_position_embeddings=512).to_json_file(config)
  local = doc_commands.ci_command(shlex.join(argv[1:]), bucket_root)
  script = (f"python {local} --bert_config_file={config} " +
            " ".join(RECIPE_SIZES))
  run = layout.run_bash(script, str(tmp_path), timeout=600)
  assert run.returncode == 0, (script, run.stderr[-5000:])
  model_dir = os.path.join(bucket_root, "my-biom-bucket", "biom-electra-base",
                           "model")
  assert os.path.exists(os.path.join(model_dir, "ckpt-2.index")), (
      os.listdir(model_dir), run.stdout[-2000:])


@pytest.mark.slow
def test_tpu_beam_block(tmp_path):
  """The Beam examples (command line, then Python) on the DirectRunner, a
  local folder as gs://b, and 2 output shards instead of 256."""
  pytest.importorskip("apache_beam")
  bucket = tmp_path / "gcs" / "b"
  os.makedirs(bucket / "pubmed")
  for name in layout.demo_files():
    shutil.copy(name, bucket / "pubmed")
  layout.demo_vocab(str(bucket / "vocab.txt"))
  cli = _block("docs/tpu.md", "python -m tools.create_pretraining_data --runner=")
  proc = layout.run_bash(_script(cli, bucket_dir=str(tmp_path / "gcs")),
                         str(tmp_path), timeout=600)
  assert proc.returncode == 0, _failure(cli, proc)
  records = bucket / "tfrecords"
  with open(records / "pubmed.tfrecord.manifest.json") as f:
    manifest = json.load(f)
  assert manifest["complete"]
  cli_shards = [(records / f"pubmed.tfrecord-0000{i}-of-00002").read_bytes()
                for i in range(2)]
  shutil.rmtree(records)

  block = _block("docs/tpu.md", "import apache_beam as beam")
  stand_ins = [('runner="DataflowRunner"', 'runner="DirectRunner"'),
               ('"gs://b/', f'"{tmp_path}/gcs/b/'),
               ("num_output_shards=256", "num_output_shards=2")]
  code = block.text
  for old, new in stand_ins:
    assert old in code, old
    code = code.replace(old, new)
  proc = layout.run_python(code, str(tmp_path), timeout=600)
  assert proc.returncode == 0, proc.stderr[-5000:]
  # The same flags give the same bytes from the command line and from Python.
  for i in range(2):
    assert (records / f"pubmed.tfrecord-0000{i}-of-00002").read_bytes() == \
        cli_shards[i]


def _free_port():
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


@pytest.mark.slow
def test_tpu_multi_worker_block(tmp_path):
  """The multi-worker command as worker 0 of a one-worker localhost cluster
  (the doc's hosts do not exist here), a local folder as gs://my-bucket."""
  from tfrecords import pipeline  # pylint: disable=g-import-not-at-top
  block = _block("docs/tpu.md", "TF_CONFIG=")
  vocab_size = layout.demo_vocab(str(tmp_path / "vocab.txt"))
  layout.tiny_config("bert", vocab_size, max_position_embeddings=128
                     ).to_json_file(str(tmp_path / "bert_config.json"))
  os.makedirs(tmp_path / "records")
  pipeline.create_pretraining_data(
      layout.demo_files(), str(tmp_path / "records" / "pubmed.tfrecord"),
      vocab_file=str(tmp_path / "vocab.txt"), progress=None,
      options=pipeline.DataOptions(model_family="bert", dupe_factor=1,
                                   num_output_shards=2))
  hosts = '["host0:12345", "host1:12345"]'
  script = _script(block, bucket_dir=str(tmp_path / "gcs"),
                   replace=[(hosts, f'["localhost:{_free_port()}"]')])
  proc = layout.run_bash(script, str(tmp_path), timeout=600)
  assert proc.returncode == 0, _failure(block, proc)
  run = tmp_path / "gcs" / "my-bucket" / "run"
  assert (run / "ckpt-4.index").exists(), os.listdir(run)
