"""minik.manifest: YAML → validated, defaulted Kubernetes objects (pure; no I/O but reading files).

- :func:`load` reads files, directories and stdin into :class:`Document`\\ s
  (every node keeps its line and column).
- :func:`validate_documents` runs both validation layers over all documents
  and returns :class:`Validated`, or raises ``ManifestError`` with every
  located problem.
- :func:`validate_object` / :func:`default_object` are what the API server
  calls for one object.
- :data:`SUPPORT` is the one list of fields minik does not implement
  (errors), ignores (warnings) or honours with a host-access warning;
  :func:`support_markdown` renders it.
"""

from minik.manifest.defaults import default_object
from minik.manifest.loader import MAX_FILE_BYTES, Document, load, parse
from minik.manifest.support import SUPPORT, support_markdown
from minik.manifest.validate import Validated, validate_documents, validate_object

__all__ = [
    "MAX_FILE_BYTES",
    "SUPPORT",
    "Document",
    "Validated",
    "default_object",
    "load",
    "parse",
    "support_markdown",
    "validate_documents",
    "validate_object",
]
