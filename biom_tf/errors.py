"""The one-line form of an exception, for the tools' one-line errors."""
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
