"""The lock of released schemas: add new versions deliberately, never change a released one.

fingerprints.lock.json  {"<full name>": {"<version>": "<CRC-64-AVRO fingerprint hex>"}}
contents.lock.json      the same shape with a sha256 of the expanded schema minus "doc" attributes.
The fingerprint covers only the Parsing Canonical Form, which drops defaults, enum defaults, aliases
and logicalType; those change how data is read, so the content digest locks them as well.

    python -m lienthong.schemas.lock           add new versions; refuse if a released entry changed
    python -m lienthong.schemas.lock --check   verify only (exit 1 on any difference)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import AVRO_DIR, Catalogue

HERE = Path(__file__).parent
FINGERPRINTS_LOCK = HERE / "fingerprints.lock.json"
CONTENTS_LOCK = HERE / "contents.lock.json"

Lock = dict[str, dict[str, str]]


def _strip_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_docs(v) for k, v in node.items() if k != "doc"}
    if isinstance(node, list):
        return [_strip_docs(x) for x in node]
    return node


def content_digest(schema: dict[str, Any]) -> str:
    """sha256 of the expanded schema without docs: changes with defaults, aliases, logical types."""
    text = json.dumps(_strip_docs(schema), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def current(catalogue: Catalogue) -> tuple[Lock, Lock]:
    """(fingerprints, content digests) of every schema file in the catalogue."""
    fps: Lock = {}
    digests: Lock = {}
    for sv in catalogue.all():
        fps.setdefault(sv.name, {})[str(sv.version)] = sv.fingerprint_hex
        digests.setdefault(sv.name, {})[str(sv.version)] = content_digest(sv.schema)
    return fps, digests


def read_lock(path: Path) -> Lock:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_lock(path: Path, lock: Lock) -> None:
    ordered = {n: dict(sorted(lock[n].items(), key=lambda kv: int(kv[0]))) for n in sorted(lock)}
    path.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")


@dataclass
class Drift:
    changed: list[str] = field(default_factory=list)  # released entries whose value differs: never allowed
    removed: list[str] = field(default_factory=list)  # locked entries without a schema file: never allowed
    added: list[str] = field(default_factory=list)  # schema files not yet locked

    @property
    def forbidden(self) -> list[str]:
        return self.changed + self.removed


def compare(locked: Lock, now: Lock, label: str) -> Drift:
    drift = Drift()
    for name in sorted(set(locked) | set(now)):
        old, new = locked.get(name, {}), now.get(name, {})
        for version in sorted(set(old) | set(new), key=int):
            key = f"{name} v{version}"
            if version not in new:
                drift.removed.append(f"{key}: locked {label} {old[version]} but the schema file is gone")
            elif version not in old:
                drift.added.append(f"{key}: {label} {new[version]}")
            elif old[version] != new[version]:
                drift.changed.append(
                    f"{key}: released {label} {old[version]} is now {new[version]} "
                    f"(a released .avsc was edited; add a new version instead)"
                )
    return drift


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lienthong.schemas.lock", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="verify only; exit 1 on any difference")
    parser.add_argument("--avro-dir", type=Path, default=AVRO_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--lock-dir", type=Path, default=HERE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    fps, digests = current(Catalogue(args.avro_dir))
    locks = [
        (args.lock_dir / FINGERPRINTS_LOCK.name, fps, "fingerprint"),
        (args.lock_dir / CONTENTS_LOCK.name, digests, "content"),
    ]
    drifts = [(path, now, compare(read_lock(path), now, label)) for path, now, label in locks]

    forbidden = [line for _, _, d in drifts for line in d.forbidden]
    added = [line for _, _, d in drifts for line in d.added]
    for line in forbidden:
        print(f"REFUSED {line}", file=sys.stderr)
    if forbidden:
        return 1
    if args.check:
        for line in added:
            print(f"NOT LOCKED {line}", file=sys.stderr)
        return 1 if added else 0
    for path, now, drift in drifts:
        if drift.added:
            merged = read_lock(path)
            for name, versions in now.items():
                merged.setdefault(name, {}).update(versions)
            write_lock(path, merged)
    for line in added:
        print(f"locked {line}")
    if not added:
        print("lock is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
