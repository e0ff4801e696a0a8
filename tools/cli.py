"""What the tools do alike, written once: run `main` as the program
(`run`), print a library error as one line (`error`), list the files written
and the counts (`done`), find the model config of the fine-tuning tools
(`model_config`, from the family `model_family` names), check the flags
every tool requires (`require`, `seeds`, `no_arguments`). Flags become settings through `biom_tf.recipes`
(`flag_values_with`, `settings_from`).

Not a tool itself (no py_binary in tools/BUILD).
"""
import sys
from typing import Callable, List, Mapping, Optional, Sequence, Type

from absl import app
from absl import flags

from biom_tf import errors


def error(tool: str, e: BaseException) -> int:
  """Prints `<tool>: error: <first line of e>` to stderr; returns 1.

  For a library error (a ValueError subclass) or a file system's
  tf.errors.OpError: one line naming the file or flag, never a traceback.
  """
  print(f"{tool}: error: {errors.first_line(e)}", file=sys.stderr)
  return 1


def done(outputs: Sequence[str], summary: str) -> int:
  """Prints each file written, one a line, then `summary`; returns 0 (the
  data tools' output: paths a script can read, then the counts)."""
  for path in outputs:
    print(path)
  print(summary)
  return 0


def model_family(model_family: Optional[str],
                 albert_config_file: Optional[str],
                 default: Optional[str] = "bert") -> Optional[str]:
  """--model_family, else albert with --albert_config_file, else `default`
  (the originals' rule: their ALBERT scripts take --albert_config_file)."""
  return model_family or ("albert" if albert_config_file else default)


def require(values: Mapping[str, object], names: Sequence[str],
            error_class: Type[ValueError]) -> None:
  """Raises `error_class("--NAME is required")` for the first of `names`
  without a value in `values` ({flag: value})."""
  for name in names:
    if not values[name]:
      raise error_class(f"--{name} is required")


def seeds(values: Sequence[object], error_class: Type[ValueError]) -> List[int]:
  """--seeds as integers; else `error_class("--seeds=...: expected
  integers")`."""
  try:
    return [int(s) for s in values]
  except ValueError:
    raise error_class(f"--seeds={','.join(str(s) for s in values)}: "
                      "expected integers") from None


def no_arguments(tool: str, argv: Sequence[str]) -> Optional[int]:
  """2 (after one `<tool>: error: unexpected arguments [...]` line) when
  `argv` holds more than the program name, else None."""
  if len(argv) > 1:
    print(f"{tool}: error: unexpected arguments {list(argv[1:])}",
          file=sys.stderr)
    return 2
  return None


def model_config(config_file: Optional[str], init_checkpoint: Optional[str],
                 family: str):
  """`--config_file`, else the config that comes with `--init_checkpoint`
  (fine-tuning tools); a `configs.ModelConfig`."""
  from biom_tf import configs  # pylint: disable=g-import-not-at-top
  from biom_tf.checkpoints import detect  # pylint: disable=g-import-not-at-top
  if config_file:
    return configs.ModelConfig.from_json_file(config_file, family)
  config = None
  if init_checkpoint:
    config = detect.checkpoint_config(init_checkpoint, family)
  if config is None:
    raise configs.ConfigError("--config_file is required (no config file "
                              "next to --init_checkpoint)")
  return config


def run(main: Callable[[Sequence[str]], int], required: Sequence[str] = ()):
  """absl's `app.run(main)`, `main`'s return value the exit status;
  `required`: flags to mark required first."""
  for name in required:
    flags.mark_flag_as_required(name)
  app.run(lambda argv: sys.exit(main(argv)))
