"""Store maintenance: ``verify`` (documents against disk) and ``gc`` (permanent removal).

:func:`verify` (:mod:`litetrack.store.verify`) reads every document, log and
referenced blob and reports what is wrong, repairing only what is safe when
asked; :func:`gc` (:mod:`litetrack.store.gc`) removes what was deleted long
enough ago and the blobs nothing references any more, safely while other
processes log. What references a blob is defined once, in
:mod:`litetrack.store.refs`.
"""

from __future__ import annotations

from litetrack.store.gc import GcReport, gc
from litetrack.store.refs import registry_digests, run_blob_digests
from litetrack.store.verify import Finding, VerifyReport, verify

__all__ = [
    "Finding",
    "GcReport",
    "VerifyReport",
    "gc",
    "registry_digests",
    "run_blob_digests",
    "verify",
]
