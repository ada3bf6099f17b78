"""Training the classifier with scikit-learn: TF-IDF over character n-grams inside words and over
words and word pairs, then a linear support vector machine (fixed seed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from service.understanding import text
from service.understanding.corpus import Example
from service.understanding.model import FeatureBlock, Model

SEED = 0
# The linear SVM's regularization (smaller is smoother). Of 0.25, 0.5, 1 and 2, 1 and 2 had the
# best 5-fold out-of-fold accuracy (within 0.1% of each other); 1 trains faster.
SVM_C = 1.0
# "none" has ten times the examples of any other label; at full weight it swallows unsure
# questions. Half weight had the best 5-fold out-of-fold accuracy of 1, 0.5 and 0.3.
CLASS_WEIGHT = {"none": 0.5}
# A character n-gram must appear in this many training messages to count (drops typos' noise).
CHAR_MIN_DF = 2

_Analyzer = Callable[[str], list[str]]


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
    weights = {label: weight for label, weight in CLASS_WEIGHT.items() if label in labels}
    classifier = LinearSVC(C=SVM_C, class_weight=weights, random_state=SEED, max_iter=5000)
    classifier.fit(matrix, labels)
    chars = _block(char_vectorizer, 0)
    words = _block(word_vectorizer, len(chars.vocabulary))
    coefficients = np.asarray(classifier.coef_, dtype=np.float64)
    intercept = np.asarray(classifier.intercept_, dtype=np.float64)
    if coefficients.shape[0] == 1:  # two labels: scikit-learn keeps one row, for the second
        coefficients = np.vstack([-coefficients, coefficients])
        intercept = np.array([-intercept[0], intercept[0]])
    model = Model(
        labels=tuple(str(label) for label in classifier.classes_),
        chars=chars,
        words=words,
        weights=np.ascontiguousarray(coefficients.T, dtype=np.float32),
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


def _vectorizer(analyzer: _Analyzer, min_df: int) -> TfidfVectorizer:
    """A TF-IDF vectorizer over already-normalized text with our own analyzer."""
    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float64)


def _block(vectorizer: TfidfVectorizer, offset: int) -> FeatureBlock:
    """A fitted vectorizer as plain data."""
    vocabulary = {str(piece): int(column) for piece, column in vectorizer.vocabulary_.items()}
    return FeatureBlock(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), offset)
