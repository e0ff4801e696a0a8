"""The import rule of docs/architecture.md, checked on the source.

`tools → tfrecords → biom_tf`: `biom_tf` imports neither `tfrecords` nor
`tools`, `tfrecords` does not import `tools`. Inside `biom_tf`: `training`
→ `tasks` → `checkpoints` → `models` → the modules at the top of the package
(`configs`, `features`, `tokenization`, ...), never the other way, imports
inside functions included.
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A package may import those of lower rank (and modules of rank 0).
RANK = {"training": 4, "tasks": 3, "checkpoints": 2, "models": 1}


def _imports(path):
  """(line, module name) of every import in the file at `path`."""
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
      yield node.lineno, node.module
      for alias in node.names:
        yield node.lineno, f"{node.module}.{alias.name}"
    elif isinstance(node, ast.Import):
      for alias in node.names:
        yield node.lineno, alias.name


def _sources(package):
  for directory, _, names in os.walk(os.path.join(ROOT, package)):
    for name in sorted(names):
      if name.endswith(".py"):
        yield os.path.join(directory, name)


def _rank(module):
  """(sub-package of biom_tf or None, its rank) of a module name."""
  parts = module.split(".")
  if parts[0] != "biom_tf" or len(parts) < 2:
    return None, 0
  return parts[1], RANK.get(parts[1], 0)


@pytest.mark.parametrize("package,forbidden", [
    ("biom_tf", ("tfrecords", "tools")), ("tfrecords", ("tools",))])
def test_packages_import_downwards_only(package, forbidden):
  found = [f"{os.path.relpath(path, ROOT)}:{line}: {name}"
           for path in _sources(package)
           for line, name in _imports(path)
           if name.split(".")[0] in forbidden]
  assert not found, "\n".join(found)


def test_biom_tf_layers_import_downwards_only():
  found = []
  for path in _sources("biom_tf"):
    module = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
    layer, rank = _rank(module)
    for line, name in _imports(path):
      other, other_rank = _rank(name)
      if other and other != layer and other_rank > rank:
        found.append(f"{os.path.relpath(path, ROOT)}:{line}: {name}")
  assert not found, "\n".join(found)


def test_the_check_sees_an_upward_import(tmp_path):
  """The rule is not vacuous: a `tasks` module importing `training`, inside
  a function, is found."""
  path = tmp_path / "m.py"
  path.write_text("def f():\n  from biom_tf.training import finetune\n")
  (line, name), *_ = list(_imports(str(path)))
  assert (line, name) == (2, "biom_tf.training")
  assert _rank(name)[1] > _rank("biom_tf.tasks.some_task")[1]
