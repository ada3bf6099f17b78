"""The classifier: deterministic, the same scores as scikit-learn, cached by corpus fingerprint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from service.understanding import model as model_module
from service.understanding import text, training
from service.understanding.corpus import CORPUS_DIR, TRAIN, Example, read_split
from service.understanding.model import (
    Model,
    cache_path,
    corpus_fingerprint,
    default_cache_dir,
    load_model,
)
from service.understanding.training import fit

SMALL = {
    "topic.calcium": ["how much calcium", "calcium pills ok?", "cuanto calcio necesito", "milk"],
    "topic.vitamin_d": ["vitamin d pills", "do i need vitamin d", "vitamina d", "sun and bones"],
    "safety.fall": ["i fell down the stairs", "me cai", "slipped in the shower", "i fell hard"],
}


def write_corpus(folder: Path, extra: str = "") -> Path:
    """A tiny corpus in the committed layout, with an optional extra calcium line."""
    for label, lines in SMALL.items():
        path = folder / TRAIN / "en" / f"{label}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        more = [extra] if extra and label == "topic.calcium" else []
        path.write_text("\n".join([*lines, *more]) + "\n", encoding="utf-8")
    return folder


def small_examples() -> list[Example]:
    """The tiny corpus as examples."""
    return [Example(line, label, "en") for label, lines in SMALL.items() for line in lines]


def test_in_process_scores_equal_scikit_learns() -> None:
    fitted = fit(small_examples())
    texts = [text.normalize(t) for t in ("calcium and vitamin d?", "I FELL", "zzz", "")]
    ours = np.array([fitted.model.scores(t) for t in texts])
    # The weights are kept as float32: the same scores to 6 digits.
    np.testing.assert_allclose(ours, fitted.sklearn_scores(texts), atol=1e-5)


def test_training_twice_gives_the_same_model() -> None:
    first, second = fit(small_examples()).model, fit(small_examples()).model
    assert first.labels == second.labels
    np.testing.assert_array_equal(first.weights, second.weights)
    np.testing.assert_array_equal(first.intercept, second.intercept)


def test_probabilities_sum_to_one_in_label_order(model: Model) -> None:
    probabilities = model.probabilities(text.normalize("how much calcium do i need"))
    assert probabilities.sum() == pytest.approx(1.0)
    assert model.labels[int(probabilities.argmax())] == "topic.calcium"
    assert list(model.labels) == sorted(model.labels)


def test_the_session_model_comes_from_the_committed_corpus(model: Model) -> None:
    fingerprint = corpus_fingerprint(CORPUS_DIR)
    assert model.fingerprint == fingerprint
    assert cache_path(default_cache_dir(), fingerprint).exists()
    assert set(model.labels) == {example.label for example in read_split(TRAIN)}


def test_a_saved_model_loads_with_the_same_scores(tmp_path: Path) -> None:
    trained = fit(small_examples(), "abc").model
    trained.save(tmp_path / "m.npz")
    loaded = Model.load(tmp_path / "m.npz")
    assert loaded.fingerprint == "abc"
    normalized = text.normalize("me cai en la calle")
    np.testing.assert_allclose(loaded.scores(normalized), trained.scores(normalized))


def test_reading_a_cached_model_does_not_import_scikit_learn(tmp_path: Path) -> None:
    code = (
        "import sys; from service.understanding import load_model, understand; "
        "load_model(); understand('how much calcium'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))"
    )
    load_model()  # the cache exists
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_cache_is_used_until_the_corpus_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus_dir, cache_dir = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    trained = load_model(corpus_dir, cache_dir)
    assert cache_path(cache_dir, trained.fingerprint).exists()

    # A new process (empty memory) reads the cache: no training.
    monkeypatch.setattr(model_module, "_loaded", {})
    calls: list[int] = []
    real_fit = training.fit

    def counting_fit(examples: list[Example], fingerprint: str = "") -> training.Fitted:
        calls.append(len(examples))
        return real_fit(examples, fingerprint)

    monkeypatch.setattr(training, "fit", counting_fit)
    assert load_model(corpus_dir, cache_dir).fingerprint == trained.fingerprint
    assert calls == []

    # One more example: a new fingerprint, trained again and cached beside the old one.
    write_corpus(corpus_dir, extra="calcium in yogurt")
    monkeypatch.setattr(model_module, "_loaded", {})
    retrained = load_model(corpus_dir, cache_dir)
    assert calls == [len(small_examples()) + 1]
    assert retrained.fingerprint != trained.fingerprint
    assert cache_path(cache_dir, retrained.fingerprint).exists()


def test_an_unreadable_cache_is_trained_again(tmp_path: Path) -> None:
    corpus_dir, cache_dir = write_corpus(tmp_path / "corpus"), tmp_path / "cache"
    path = cache_path(cache_dir, corpus_fingerprint(corpus_dir))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    assert load_model(corpus_dir, cache_dir).labels == tuple(sorted(SMALL))
    assert Model.load(path).labels == tuple(sorted(SMALL))
