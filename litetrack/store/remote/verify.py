"""``verify --remote NAME``: check a remote as ``verify`` checks a store.

One listing of the whole remote, then every run manifest is parsed and
checked against it: its segments exist with the sizes it records and chain
without gaps, the log they make hashes to the recorded digest, its
experiment exists, and every blob it references exists with its size (and,
unless ``hash_blobs`` is false, hashes to its name). Index shards must parse
and name runs that have a manifest. Nothing is repaired and nothing is
deleted: a remote is shared, and only its owners decide what goes.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from litetrack.store.remote import Remote
from litetrack.store.remote.sync import MARKER, blob_key, experiment_obj


@dataclass
class RemoteReport:
    """What :func:`verify_remote` found."""

    remote: str
    runs: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    experiments: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "remote": self.remote,
            "runs": self.runs,
            "blobs": self.blobs,
            "blob_bytes": self.blob_bytes,
            "experiments": self.experiments,
            "errors": self.errors,
            "ok": self.ok,
            "seconds": self.seconds,
        }


def verify_remote(remote: Remote, *, hash_blobs: bool = True) -> RemoteReport:
    """Check every manifest, segment, experiment, blob and shard of a remote."""
    started = time.perf_counter()
    rep = RemoteReport(remote=remote.name)
    sizes = {m.key: m.size for m in remote.list("")}
    if not sizes:
        rep.errors.append("the remote is empty (nothing pushed yet?)")
        return rep
    if MARKER not in sizes:
        rep.errors.append(f"{MARKER} is missing: not a litetrack remote")
    rep.experiments = sum(k.startswith("experiments/") for k in sizes)
    rep.blobs = sum(k.startswith("objects/") for k in sizes)
    rep.blob_bytes = sum(v for k, v in sizes.items() if k.startswith("objects/"))
    manifests = sorted(k for k in sizes if k.startswith("runs/") and k.endswith("/run.json"))
    checked_blobs: set[str] = set()
    for key in manifests:
        rep.runs += 1
        run_id = key.split("/")[1]
        try:
            manifest = json.loads(remote.get(key)[0])
            segments, blobs = manifest["log"], manifest.get("blobs", [])
            exp_key = manifest["experiment"]["key"]
        except (ValueError, KeyError, TypeError):
            rep.errors.append(f"{key}: not a readable run manifest")
            continue
        if manifest.get("run_id") != run_id:
            rep.errors.append(f"{key}: names run {manifest.get('run_id')!r}")
        if experiment_obj(exp_key) not in sizes:
            rep.errors.append(f"{key}: its experiment {experiment_obj(exp_key)} is missing")
        _check_log(remote, key, run_id, segments, sizes, rep)
        for digest, size in blobs:
            if digest in checked_blobs:
                continue
            checked_blobs.add(digest)
            bkey = blob_key(digest)
            if bkey not in sizes:
                rep.errors.append(f"{key}: blob {digest} is missing")
            elif sizes[bkey] != size:
                rep.errors.append(f"{bkey}: {sizes[bkey]} bytes, the manifest says {size}")
            elif hash_blobs:
                hasher = _Hasher()
                remote.download(bkey, hasher)  # type: ignore[arg-type]
                if hasher.h.hexdigest() != digest:
                    rep.errors.append(f"{bkey}: content hashes to {hasher.h.hexdigest()}")
    for key in sorted(k for k in sizes if k.startswith("index/")):
        try:
            runs = json.loads(remote.get(key)[0])["runs"]
        except (ValueError, KeyError, TypeError):
            rep.errors.append(f"{key}: not a readable index shard")
            continue
        for run_id in runs:
            if f"runs/{run_id}/run.json" not in sizes:
                rep.errors.append(f"{key}: names run {run_id}, which has no manifest")
    rep.seconds = round(time.perf_counter() - started, 3)
    return rep


class _Hasher:
    """A write-only file object that hashes what is written to it."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()

    def write(self, b: bytes) -> int:
        self.h.update(b)
        return len(b)


def _check_log(
    remote: Remote,
    key: str,
    run_id: str,
    segments: list[dict[str, Any]],
    sizes: dict[str, int],
    rep: RemoteReport,
) -> None:
    h = hashlib.sha256()
    pos = 0
    for seg in segments:
        if seg.get("start") != pos:
            rep.errors.append(f"{key}: log segments do not chain at byte {pos}")
            return
        if "inline" in seg:
            data = str(seg["inline"]).encode("utf-8")
            if len(data) != seg["end"] - seg["start"]:
                rep.errors.append(f"{key}: an inline segment's size differs from its record")
                return
            h.update(data)
            if h.hexdigest() != seg["sha256"]:
                rep.errors.append(f"{key}: the log up to byte {seg['end']} differs from its digest")
                return
            pos = seg["end"]
            continue
        skey = seg.get("key", "")
        if not str(skey).startswith(f"runs/{run_id}/log/"):
            rep.errors.append(f"{key}: log segments do not chain at byte {pos}")
            return
        if skey not in sizes:
            rep.errors.append(f"{key}: log segment {skey} is missing")
            return
        if sizes[skey] != seg["end"] - seg["start"]:
            rep.errors.append(
                f"{skey}: {sizes[skey]} bytes, the manifest says {seg['end'] - seg['start']}"
            )
            return
        h.update(remote.get(skey)[0])
        if h.hexdigest() != seg["sha256"]:
            rep.errors.append(f"{skey}: the log up to byte {seg['end']} does not match its digest")
            return
        pos = seg["end"]
