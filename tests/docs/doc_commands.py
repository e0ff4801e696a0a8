"""The fenced code blocks of README.md and docs/*.md, and how they are run.

A block is ```sh / ```bash / ```shell (shell commands) or ```python. Shell
blocks are split into logical commands the way bash reads them: `\\` at the
end of a line continues it, a line inside an open quote continues it, and
`#` starts a comment outside quotes. The tests run the block's text through
bash exactly as written, after the substitutions below, which are the only
changes made to a documented command:

* CLOUD: cloud resources become their documented local stand-ins.
* SIZES: size flags become CI-sized values (only the flags named there).
"""
import dataclasses
import glob
import os
import re
import shlex
from typing import List, Optional, Tuple

from tests.conftest import REPO_ROOT

SHELL_LANGUAGES = ("sh", "bash", "shell")
DOCS = ("README.md", "docs/*.md")

# Size flags → CI-sized values. Applied to `--flag=value` tokens of these
# flags only, whatever the documented value.
SIZES = {
    "--vocab_size": "500",         # README: 30522
    "--num_train_steps": "4",      # README: 100000
    "--train_batch_size": "4",     # README: 256
    "--dupe_factor": "1",          # README: 5; tpu.md: 1
    "--num_workers": "2",          # README: 8 (CI has 2 cores)
    "--num_output_shards": "2",    # README: 64; tpu.md: 256
    "--seeds": "1",                # README: 1,2,3
}

# Cloud resources → local stand-ins (documented in README / docs/tpu.md):
# the default strategy for TPUStrategy, `--dry_run` for the gcloud scripts,
# Beam's DirectRunner for Dataflow,
# a local folder for a gs:// bucket, one localhost worker for a TF_CONFIG
# cluster of hosts that do not exist here.
DROP_FLAGS = ("--use_tpu", "--tpu_name", "--tpu_zone", "--gcp_project")
STRATEGY_TPU = ("--strategy=tpu", "--strategy=default")
BEAM_RUNNER = ("--runner=DataflowRunner", "--runner=DirectRunner")
GCLOUD_TOOLS = "tools.tpu."
GS_PREFIX = "gs://"


@dataclasses.dataclass
class Block:
  doc: str          # path relative to the repository root
  line: int         # 1-based line of the first line inside the fence
  language: str
  text: str

  @property
  def name(self) -> str:
    return f"{self.doc}:{self.line}"


@dataclasses.dataclass
class Command:
  line: int         # 1-based line in the doc where the command starts
  text: str         # the logical command, continuations joined, no comments

  def argv(self) -> List[str]:
    return shlex.split(self.text)


def doc_files() -> List[str]:
  paths = []
  for pattern in DOCS:
    paths += sorted(glob.glob(os.path.join(REPO_ROOT, pattern)))
  return [os.path.relpath(p, REPO_ROOT) for p in paths]


def fenced_blocks(doc: str) -> List[Block]:
  """Every fenced block of `doc` (``` or ~~~ fences, any language)."""
  with open(os.path.join(REPO_ROOT, doc), encoding="utf-8") as f:
    lines = f.read().split("\n")
  blocks, i = [], 0
  while i < len(lines):
    match = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", lines[i])
    if not match:
      i += 1
      continue
    fence, language = match.group(2), match.group(3).lower()
    body, j = [], i + 1
    while j < len(lines) and not lines[j].strip().startswith(fence):
      body.append(lines[j])
      j += 1
    if j == len(lines):
      raise ValueError(f"{doc}:{i + 1}: fence {fence} is never closed")
    blocks.append(Block(doc, i + 2, language, "\n".join(body)))
    i = j + 1
  return blocks


def all_blocks(languages=None) -> List[Block]:
  out = []
  for doc in doc_files():
    out += [b for b in fenced_blocks(doc)
            if languages is None or b.language in languages]
  return out


def _strip_comment(line: str, quote: Optional[str]) -> Tuple[str, Optional[str]]:
  """`line` without its `#` comment; `quote` is the quote open at its start."""
  out, i = [], 0
  while i < len(line):
    c = line[i]
    if quote:
      if c == quote:
        quote = None
      elif c == "\\" and quote == '"' and i + 1 < len(line):
        out.append(c)
        i += 1
        c = line[i]
    elif c in "'\"":
      quote = c
    elif c == "\\" and i + 1 < len(line):
      out.append(c)
      i += 1
      c = line[i]
    elif c == "#" and (i == 0 or line[i - 1].isspace()):
      break
    out.append(c)
    i += 1
  return "".join(out), quote


def shell_commands(text: str, first_line: int = 1) -> List[Command]:
  """Logical commands of a shell block, as bash reads them."""
  commands, parts, start, quote = [], [], None, None
  for offset, raw in enumerate(text.split("\n")):
    line, quote = _strip_comment(raw, quote)
    if not parts and not line.strip():
      continue
    if start is None:
      start = first_line + offset
    if quote is None and line.rstrip().endswith("\\"):
      parts.append(line.rstrip()[:-1].strip())
      continue
    parts.append(line.strip() if quote is None else line.lstrip())
    if quote is not None:
      continue
    joined = " ".join(p for p in parts if p)
    if joined:
      commands.append(Command(start, joined))
    parts, start = [], None
  if parts:
    raise ValueError(f"line {start}: command never ends (open quote or "
                     "trailing backslash)")
  return commands


def _replace_flag(command: str, flag: str, value: Optional[str]) -> str:
  """Sets every `flag=...` token of `command` to `flag=value` (None: drop)."""
  pattern = re.compile(r"(\s)" + re.escape(flag) +
                       r"(=(\"[^\"]*\"|'[^']*'|\S*))?(?=\s|$)")
  if value is None:
    return pattern.sub("", command)
  return pattern.sub(lambda m: f"{m.group(1)}{flag}={value}", command)


def ci_command(command: str, bucket_dir: Optional[str] = None) -> str:
  """The documented command with the SIZES and CLOUD substitutions."""
  for flag, value in SIZES.items():
    command = _replace_flag(command, flag, value)
  if GCLOUD_TOOLS in command:
    # The gcloud scripts: print what they would run; stand-ins stop there.
    return command + " --dry_run"
  for flag in DROP_FLAGS:
    command = _replace_flag(command, flag, None)
  command = command.replace(*STRATEGY_TPU).replace(*BEAM_RUNNER)
  if bucket_dir:
    command = command.replace(GS_PREFIX, bucket_dir.rstrip("/") + "/")
  return command


def ci_script(commands: List[Command], bucket_dir: Optional[str] = None) -> str:
  """A bash script running `commands` in order, stopping at the first
  failure. Each is announced as `@@ <doc line>` on its own line, on stdout
  (what follows is its output) and on stderr."""
  lines = ["set -euo pipefail"]
  for command in commands:
    lines.append(f"echo; echo '@@ {command.line}' | tee /dev/stderr")
    lines.append(ci_command(command.text, bucket_dir))
  return "\n".join(lines) + "\n"


def failed_line(stderr: str) -> Optional[int]:
  """The doc line of the last command announced by `ci_script`."""
  found = re.findall(r"^@@ (\d+)$", stderr, flags=re.M)
  return int(found[-1]) if found else None
