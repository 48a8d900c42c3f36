"""Rules for artifact paths: the logical names under which a run stores files.

An artifact path is what the user passes as ``artifact_path`` (``"model"``,
``"plots/roc.png"``). It is recorded in the run's manifest and, when artifacts
are downloaded, joined under a destination folder. So it must never be able to
name a file outside that folder, whatever the platform and whatever later code
does with it (``os.path.join``, ``expanduser``, a shell).

The normal form is relative, ``/``-separated, with no empty, ``.`` or ``..``
segment and no leading or trailing slash. Harmless spelling variants are
normalized rather than refused, because users write them all the time and
they have one obvious meaning:

* ``"./model"``, ``"a/./b"``  -> ``"model"``, ``"a/b"``  (``.`` segments dropped)
* ``"a//b"``                   -> ``"a/b"``               (empty segments dropped)
* ``"model/"``                 -> ``"model"``             (trailing slash dropped)
* ``"dir/../file.txt"``        -> ``"file.txt"``          (``..`` folded, as MLflow does)

Everything that could escape the root, or that means different things on
different systems, is refused with :class:`~litetrack.errors.InvalidArtifactPath`:

* absolute paths (``"/etc/passwd"``, ``"//server/share"``);
* a ``..`` that climbs above the root (``"../x"``, ``"a/../../b"``); one that
  stays inside is folded away, so a manifest never records ``a/../b``;
* backslashes (a separator on Windows, so ``"..\\x"`` would escape there);
* a Windows drive prefix: any character then ``:`` at the start (``"C:x"``,
  ``"c:/x"``, ``".:"``: Python's ``ntpath`` takes them all for a drive);
* a first segment starting with ``~`` (``os.path.expanduser`` and shells turn
  ``~`` / ``~user`` into a home folder);
* NUL and other control characters (C0, DEL, C1): they truncate paths in C
  APIs, break line-oriented tools and hide in terminals;
* text that is not encodable as UTF-8 (lone surrogates);
* a segment longer than 255 UTF-8 bytes (``NAME_MAX`` on common filesystems:
  such a name could be recorded but never downloaded);
* a normal form longer than 1024 UTF-8 bytes in all (:data:`MAX_PATH_BYTES`):
  joined under a destination folder it must stay below ``PATH_MAX`` (4096 on
  Linux), or the artifact could be logged but never downloaded.

Not refused: Windows-reserved names (``CON``, ``aux.txt``), ``:`` after the
first segment, leading/trailing spaces, Unicode normalization differences.
litetrack stores and reads them verbatim; they only matter when downloading to
a filesystem that rejects them, which then reports its own error.
"""

from __future__ import annotations

import os
import re
import unicodedata

from litetrack.errors import InvalidArtifactPath

__all__ = ["validate_artifact_path", "join_artifact_path"]

#: Longest segment, in UTF-8 bytes, that common filesystems accept (NAME_MAX).
MAX_SEGMENT_BYTES = 255
#: Longest artifact path, in UTF-8 bytes: leaves room for the destination folder
#: under ``PATH_MAX`` (4096 on Linux) when it is downloaded.
MAX_PATH_BYTES = 1024

# Python's ntpath takes any character followed by ':' as a drive ("C:", but
# also ".:" or "1:"), so os.path.join on Windows would leave the root for all.
_DRIVE_RE = re.compile(r".:", re.DOTALL)


def _refuse(path: object, rule: str) -> InvalidArtifactPath:
    return InvalidArtifactPath(
        f"invalid artifact path {path!r}: {rule}; expected a relative path of "
        f"'/'-separated names such as 'model' or 'plots/roc.png'",
        path=path,
    )


def validate_artifact_path(path: str | os.PathLike[str], *, allow_empty: bool = False) -> str:
    """Return the normal form of an artifact path, or refuse it.

    The result is relative, ``/``-separated, without empty, ``.`` or ``..``
    segments, and joined under any folder it names a file inside that folder.
    ``""`` (the artifact root, spelled ``""``, ``"."`` or ``"./"``) is
    returned only when ``allow_empty`` is true.

    Raises :class:`~litetrack.errors.InvalidArtifactPath` (a ``ValueError``)
    naming the value and the rule it breaks; see the module docstring.
    """
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise _refuse(path, f"must be a str, not {type(path).__name__}")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse(path, "is not valid Unicode text (lone surrogate)") from None
    for ch in path:
        if unicodedata.category(ch) == "Cc":
            raise _refuse(path, f"contains the control character {ch!r}")
    if "\\" in path:
        raise _refuse(path, "contains a backslash; use '/' to separate folders")
    if path.startswith("/"):
        raise _refuse(path, "is absolute")
    if _DRIVE_RE.match(path):
        raise _refuse(path, "starts with a drive prefix like 'C:' (Windows)")
    if path.startswith("~"):
        raise _refuse(path, "starts with '~', which expanduser and shells turn into a home folder")

    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            # "dir/../file.txt" is "file.txt" (MLflow normalises it too); only
            # a '..' that would climb out of the artifact root is refused.
            if not segments:
                raise _refuse(path, "climbs out of the artifact root with '..'")
            segments.pop()
            continue
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise _refuse(path, f"has a segment longer than {MAX_SEGMENT_BYTES} bytes")
        segments.append(segment)
    normal = "/".join(segments)
    size = len(normal.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        raise _refuse(
            f"{path[:60]}...({len(segments)} segments)" if len(path) > 80 else path,
            f"is {size} bytes long; at most {MAX_PATH_BYTES} bytes are allowed "
            "(longer paths cannot be downloaded)",
        )
    # "./~x" normalizes to "~x": apply the first-segment rules to the result too,
    # so that the normal form never starts with what the raw form may not.
    if normal.startswith("~"):
        raise _refuse(path, "starts with '~', which expanduser and shells turn into a home folder")
    if _DRIVE_RE.match(normal):
        raise _refuse(path, "starts with a drive prefix like 'C:' (Windows)")
    if not normal and not allow_empty:
        raise _refuse(path, "is empty (names the artifact root, not a file)")
    return normal


def join_artifact_path(base: str | os.PathLike[str] | None, name: str | os.PathLike[str]) -> str:
    """Join an ``artifact_path`` (``None`` or ``""`` = the root) and a file name.

    ``name`` may itself be a relative path (``"sub/file.txt"``). Both parts are
    validated; the result is the normal form of the joined path, never empty.

    Raises :class:`~litetrack.errors.InvalidArtifactPath` if either part is
    invalid or ``name`` is empty.
    """
    base_norm = "" if base is None else validate_artifact_path(base, allow_empty=True)
    name_norm = validate_artifact_path(name)
    return f"{base_norm}/{name_norm}" if base_norm else name_norm
