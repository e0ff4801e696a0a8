"""The one-line form of an exception, for the tools' one-line errors, and
the error of data that cannot be used."""
import re


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


def reason(error: BaseException) -> str:
  """Why `error` happened, for a message that already names the file.

  An OSError's `strerror` ("Permission denied", without the errno and the
  path that its str() repeats); otherwise `first_line(error)`.
  """
  strerror = getattr(error, "strerror", None)
  if isinstance(error, OSError) and strerror:
    return str(strerror).strip().splitlines()[0]
  return first_line(error)


class DataError(ValueError):
  """Data, or a flag that decides it, that cannot be used: the message names
  the file and line, or the flag (fine-tuning task readers, data creation)."""
