"""The classifier as plain data, trained once from the corpus (`training`) and cached on disk.

Answering one message uses numpy only: it looks the message's pieces up in the fitted
vocabularies and adds up the fitted weights (the numbers scikit-learn would compute, without its
per-call checks), so one message takes well under a millisecond, and a process that finds the
model in its cache never imports scikit-learn.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import numpy.typing as npt

from service.understanding import corpus, text
from service.understanding.corpus import CORPUS_DIR

log = logging.getLogger(__name__)

# Scores become probabilities by a softmax of the scores times this. Of 2, 3, 4, 6, 8 and 12, 4
# gave the lowest safety cost on 5-fold out-of-fold predictions (6 the lowest log loss).
TEMPERATURE = 4.0
CACHE_ENV = "BONELINE_MODEL_CACHE"

Vector = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FeatureBlock:
    """One fitted TF-IDF vectorizer as plain data: piece -> column, and each column's idf."""

    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float64]
    offset: int

    def features(self) -> npt.NDArray[np.str_]:
        """The pieces in column order (how the cache stores the vocabulary)."""
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return np.array(ordered, dtype=np.str_)

    def weigh(self, pieces: Iterable[str]) -> tuple[npt.NDArray[np.intp], Vector]:
        """The columns present and their L2-normalized sublinear TF-IDF values."""
        counts = Counter(pieces)
        get = self.vocabulary.get
        columns = np.array([get(piece, -1) for piece in counts], dtype=np.intp)
        frequency = np.array(list(counts.values()), dtype=np.float64)
        known = columns >= 0
        if not known.any():
            return np.empty(0, dtype=np.intp), np.empty(0)
        columns, frequency = columns[known], frequency[known]
        values = (1.0 + np.log(frequency)) * self.idf[columns]
        values /= math.sqrt(float(values @ values))
        return columns + self.offset, values


@dataclass(frozen=True)
class Model:
    """A trained classifier: labels, the two vocabularies and the linear weights."""

    labels: tuple[str, ...]
    chars: FeatureBlock
    words: FeatureBlock
    weights: npt.NDArray[np.float32]  # one row per feature column, one column per label
    intercept: Vector
    fingerprint: str

    def scores(self, normalized: str) -> Vector:
        """The SVM's score for each label (scikit-learn's `decision_function`)."""
        char_columns, char_values = self.chars.weigh(text.char_features(normalized))
        word_columns, word_values = self.words.weigh(text.word_features(normalized))
        total: Vector = self.intercept.copy()
        if char_columns.size:
            total += char_values @ self.weights[char_columns]
        if word_columns.size:
            total += word_values @ self.weights[word_columns]
        return total

    def probabilities(self, normalized: str) -> Vector:
        """Each label's probability (a softmax of the scores), in `labels` order."""
        scaled = self.scores(normalized) * TEMPERATURE
        scaled -= scaled.max()
        exp = np.exp(scaled)
        result: Vector = exp / exp.sum()
        return result

    def save(self, path: Path) -> None:
        """Write the model as plain arrays (no pickle), atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(
                    file,
                    labels=np.array(self.labels, dtype=np.str_),
                    char_features=self.chars.features(),
                    char_idf=self.chars.idf,
                    word_features=self.words.features(),
                    word_idf=self.words.idf,
                    weights=self.weights,
                    intercept=self.intercept,
                    fingerprint=np.array(self.fingerprint, dtype=np.str_),
                )
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Model:
        """Read a model written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            char_features = [str(piece) for piece in data["char_features"]]
            word_features = [str(piece) for piece in data["word_features"]]
            chars = FeatureBlock(
                {piece: column for column, piece in enumerate(char_features)},
                np.asarray(data["char_idf"], dtype=np.float64),
                0,
            )
            words = FeatureBlock(
                {piece: column for column, piece in enumerate(word_features)},
                np.asarray(data["word_idf"], dtype=np.float64),
                len(char_features),
            )
            return cls(
                labels=tuple(str(label) for label in data["labels"]),
                chars=chars,
                words=words,
                weights=np.ascontiguousarray(data["weights"], dtype=np.float32),
                intercept=np.asarray(data["intercept"], dtype=np.float64),
                fingerprint=str(data["fingerprint"]),
            )


def corpus_fingerprint(corpus_dir: Path = CORPUS_DIR) -> str:
    """The training split's hash, with scikit-learn's version and this code's own source."""
    training_code = Path(__file__).with_name("training.py")
    code = (
        Path(__file__).read_bytes(),
        Path(text.__file__).read_bytes(),
        training_code.read_bytes(),
    )
    versions = [metadata.version("scikit-learn"), np.__version__]
    extra = [*versions, *(_digest(part) for part in code)]
    return corpus.fingerprint(corpus_dir, extra)


def default_cache_dir() -> Path:
    """`$BONELINE_MODEL_CACHE`, else the user's cache folder."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "boneline"


def cache_path(cache_dir: Path, fingerprint: str) -> Path:
    """Where the model trained from a corpus with this fingerprint is kept."""
    return cache_dir / f"understanding-{fingerprint[:24]}.npz"


_loaded: dict[tuple[Path, Path], Model] = {}
_lock = threading.Lock()


def load_model(corpus_dir: Path = CORPUS_DIR, cache_dir: Path | None = None) -> Model:
    """The model for the corpus: from this process's memory, else the disk cache, else trained
    now (and cached). A corpus, scikit-learn or code change gives a new fingerprint: retrained."""
    cache_dir = cache_dir or default_cache_dir()
    key = (corpus_dir.resolve(), cache_dir)
    with _lock:
        model = _loaded.get(key)
        if model is None:
            model = _load_or_train(corpus_dir, cache_dir)
            _loaded[key] = model
        return model


def _load_or_train(corpus_dir: Path, cache_dir: Path) -> Model:
    """Read the cached model for this fingerprint, or train and cache one."""
    fingerprint = corpus_fingerprint(corpus_dir)
    path = cache_path(cache_dir, fingerprint)
    if path.exists():
        try:
            model = Model.load(path)
        except (OSError, ValueError, KeyError) as error:
            log.warning("understanding model cache unreadable, training again: %s", error)
        else:
            if model.fingerprint == fingerprint:
                return model
    log.info("training the understanding model (corpus %s)", fingerprint[:12])
    from service.understanding import training  # scikit-learn, only when training

    model = training.fit(corpus.read_split(corpus.TRAIN, corpus_dir), fingerprint).model
    try:
        model.save(path)
    except OSError as error:
        log.warning("understanding model not cached (%s): kept in memory only", error)
    return model


def _digest(data: bytes) -> str:
    """The hash of some bytes."""
    return hashlib.sha256(data).hexdigest()
