"""The one-line form of an exception, for the tools' one-line errors; the
error of data that cannot be used, and of an output that cannot be
written."""
import re
from typing import Sequence, Union


def first_line(error: BaseException) -> str:
  """The first line of `error`'s message, without TensorFlow's graph notes.

  TensorFlow's `OpError.message` may carry `{{function_node ...}}`,
  `[[{{node ...}}]]` and `[Op:...]` annotations that name graph internals,
  not the user's file; they are dropped.
  """
  text = getattr(error, "message", None) or str(error) or type(error).__name__
  text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", text)
  text = re.sub(r"\s*\[\[\{\{node [^]]*\]\]", "", text)
  text = re.sub(r"\s*\[Op:[^]]*\].*$", "", text, flags=re.S)
  return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def reason(error: BaseException,
           path: Union[str, Sequence[str], None] = None) -> str:
  """Why `error` happened, for a message that already names the file.

  An OSError's `strerror` ("Permission denied", without the errno and the
  path that its str() repeats); otherwise `first_line(error)`, less a
  leading `path` (or the longest of several that leads it) that the message
  names already: TensorFlow's "PATH; Is a directory" gives "Is a directory".
  """
  strerror = getattr(error, "strerror", None)
  if isinstance(error, OSError) and strerror:
    return str(strerror).strip().splitlines()[0]
  text = first_line(error)
  paths = [path] if isinstance(path, str) else list(path or ())
  for prefix in sorted(paths, key=len, reverse=True):
    if prefix and text.startswith(prefix):
      return text[len(prefix):].lstrip(";: ") or text
  return text


class DataError(ValueError):
  """Data, or a flag that decides it, that cannot be used: the message names
  the file and line, or the flag (fine-tuning task readers, data creation)."""


class OutputError(ValueError, OSError):
  """An output path that cannot be written; the message names it, one line
  (`biom_tf.fileio`'s atomic writes, data creation). An OSError too, so code
  that catches a file system's errors (`except OSError`) still catches it."""
