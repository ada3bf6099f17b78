"""The labelled corpus in `messages/corpus/`: read one split, and fingerprint the training split."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from messages import CATALOG_DIR

CORPUS_DIR = CATALOG_DIR / "corpus"
TRAIN = "train"
HELDOUT = "heldout"
BENIGN = "benign"
BLIND = "blind"
# A benign message is labelled `none`: it must never get a safety reply.
BENIGN_LABEL = "none"


@dataclass(frozen=True)
class Example:
    """One message from the corpus, its label and its language."""

    text: str
    label: str
    language: str


def read_split(split: str, corpus_dir: Path = CORPUS_DIR) -> list[Example]:
    """Every example of one split, in file order (`train/<lang>/<label>[~note].txt`)."""
    folder = corpus_dir / split
    if split == BENIGN:
        return [
            Example(line, BENIGN_LABEL, path.stem)
            for path in sorted(folder.glob("*.txt"))
            for line in _lines(path)
        ]
    return [
        Example(line, path.stem.split("~", 1)[0], path.parent.name)
        for path in sorted(folder.glob("*/*.txt"))
        for line in _lines(path)
    ]


def fingerprint(corpus_dir: Path = CORPUS_DIR, extra: Iterable[str] = ()) -> str:
    """A hash of every training file's name and bytes, and of `extra` (versions, code)."""
    digest = hashlib.sha256()
    folder = corpus_dir / TRAIN
    for path in sorted(folder.glob("*/*.txt")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for item in extra:
        digest.update(item.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _lines(path: Path) -> list[str]:
    """The messages in one file: blank lines and `#` comments left out."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]
