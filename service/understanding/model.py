"""The classifier: scikit-learn's TF-IDF (character n-grams inside words, and words and word
pairs) with a linear support vector machine, trained from the corpus once and cached on disk.

Training uses scikit-learn; answering one message does not: it looks its pieces up in the fitted
vocabularies and adds up the fitted weights (the same numbers scikit-learn would compute, without
its per-call checks), so one message takes well under a millisecond.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from service.understanding import corpus, text
from service.understanding.corpus import CORPUS_DIR, Example

log = logging.getLogger(__name__)

SEED = 0
# The linear SVM's regularization: smaller is smoother. Chosen on 5-fold cross-validation.
SVM_C = 0.5
# Scores become probabilities by a softmax of the scores times this (one number for all labels,
# fitted by eye to the out-of-fold predictions: a sure message gets 0.9 and more).
TEMPERATURE = 4.0
# A character n-gram must appear in this many training messages to count (drops typos' noise).
CHAR_MIN_DF = 2
CACHE_ENV = "BONELINE_MODEL_CACHE"

Vector = npt.NDArray[np.float64]
_Analyzer = Callable[[str], Iterator[str]]


@dataclass(frozen=True)
class _Block:
    """One fitted TF-IDF vectorizer as plain data: piece -> column, and each column's idf."""

    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float64]
    offset: int

    @classmethod
    def from_vectorizer(cls, vectorizer: TfidfVectorizer, offset: int) -> _Block:
        """Read a fitted vectorizer."""
        vocabulary = {str(piece): int(column) for piece, column in vectorizer.vocabulary_.items()}
        return cls(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), offset)

    def features(self) -> npt.NDArray[np.str_]:
        """The pieces in column order (how the cache stores the vocabulary)."""
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return np.array(ordered, dtype=np.str_)

    def weigh(self, pieces: Iterable[str]) -> tuple[npt.NDArray[np.intp], Vector]:
        """The columns present and their L2-normalized sublinear TF-IDF values."""
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for piece in pieces:
            column = vocabulary.get(piece)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return np.empty(0, dtype=np.intp), np.empty(0)
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        frequency = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(frequency)) * self.idf[columns]
        values /= math.sqrt(float(values @ values))
        return columns + self.offset, values


@dataclass(frozen=True)
class Model:
    """A trained classifier: labels, the two vocabularies and the linear weights."""

    labels: tuple[str, ...]
    chars: _Block
    words: _Block
    weights: npt.NDArray[np.float64]  # one row per feature column, one column per label
    intercept: Vector
    fingerprint: str

    def scores(self, normalized: str) -> Vector:
        """The SVM's score for each label (scikit-learn's `decision_function`)."""
        char_columns, char_values = self.chars.weigh(text.char_features(normalized))
        word_columns, word_values = self.words.weigh(text.word_features(normalized))
        total = self.intercept.copy()
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
            chars = _Block(
                {piece: column for column, piece in enumerate(char_features)},
                np.asarray(data["char_idf"], dtype=np.float64),
                0,
            )
            words = _Block(
                {piece: column for column, piece in enumerate(word_features)},
                np.asarray(data["word_idf"], dtype=np.float64),
                len(char_features),
            )
            return cls(
                labels=tuple(str(label) for label in data["labels"]),
                chars=chars,
                words=words,
                weights=np.ascontiguousarray(data["weights"], dtype=np.float64),
                intercept=np.asarray(data["intercept"], dtype=np.float64),
                fingerprint=str(data["fingerprint"]),
            )


@dataclass(frozen=True)
class Fitted:
    """A model with the scikit-learn objects it was read from (for tests and evaluation)."""

    model: Model
    char_vectorizer: TfidfVectorizer
    word_vectorizer: TfidfVectorizer
    classifier: LinearSVC

    def sklearn_scores(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """scikit-learn's own scores for normalized texts."""
        matrix = sparse.hstack(
            [self.char_vectorizer.transform(texts), self.word_vectorizer.transform(texts)]
        ).tocsr()
        return np.asarray(self.classifier.decision_function(matrix), dtype=np.float64)


def fit(examples: Sequence[Example], fingerprint: str = "") -> Fitted:
    """Train on `examples` (deterministic: fixed seed, sorted labels)."""
    texts = [text.normalize(example.text) for example in examples]
    labels = [example.label for example in examples]
    char_vectorizer = _vectorizer(text.char_features, CHAR_MIN_DF)
    word_vectorizer = _vectorizer(text.word_features, 1)
    matrix = sparse.hstack(
        [char_vectorizer.fit_transform(texts), word_vectorizer.fit_transform(texts)]
    ).tocsr()
    classifier = LinearSVC(C=SVM_C, random_state=SEED, max_iter=5000)
    classifier.fit(matrix, labels)
    chars = _Block.from_vectorizer(char_vectorizer, 0)
    words = _Block.from_vectorizer(word_vectorizer, len(chars.vocabulary))
    coefficients = np.asarray(classifier.coef_, dtype=np.float64)
    intercept = np.asarray(classifier.intercept_, dtype=np.float64)
    if coefficients.shape[0] == 1:  # two labels: scikit-learn keeps one row, for the second
        coefficients = np.vstack([-coefficients, coefficients])
        intercept = np.array([-intercept[0], intercept[0]])
    model = Model(
        labels=tuple(str(label) for label in classifier.classes_),
        chars=chars,
        words=words,
        weights=np.ascontiguousarray(coefficients.T),
        intercept=intercept,
        fingerprint=fingerprint,
    )
    return Fitted(model, char_vectorizer, word_vectorizer, classifier)


def out_of_fold(examples: Sequence[Example], folds: int) -> npt.NDArray[np.float64]:
    """Each example's probabilities from a model trained without its fold (stratified, seeded).

    Columns follow the labels of the model trained on all of `examples` (sorted).
    """
    labels = sorted({example.label for example in examples})
    column = {label: index for index, label in enumerate(labels)}
    result = np.zeros((len(examples), len(labels)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    targets = [example.label for example in examples]
    for train_rows, test_rows in splitter.split(np.zeros(len(examples)), targets):
        model = fit([examples[row] for row in train_rows]).model
        columns = [column[label] for label in model.labels]
        for row in test_rows:
            result[row, columns] = model.probabilities(text.normalize(examples[row].text))
    return result


def corpus_fingerprint(corpus_dir: Path = CORPUS_DIR) -> str:
    """The training split's hash, with scikit-learn's version and this code's own source."""
    code = (Path(__file__).read_bytes(), Path(text.__file__).read_bytes())
    extra = [sklearn.__version__, np.__version__, *(_digest(part) for part in code)]
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
    model = fit(corpus.read_split(corpus.TRAIN, corpus_dir), fingerprint).model
    try:
        model.save(path)
    except OSError as error:
        log.warning("understanding model not cached (%s): kept in memory only", error)
    return model


def _digest(data: bytes) -> str:
    """The hash of some bytes."""
    return hashlib.sha256(data).hexdigest()


def _vectorizer(analyzer: _Analyzer, min_df: int) -> TfidfVectorizer:
    """A TF-IDF vectorizer over already-normalized text with our own analyzer."""
    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float64)
