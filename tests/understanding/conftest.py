"""One trained model for the whole test session (from the disk cache when the corpus is known)."""

from __future__ import annotations

import pytest

from service.understanding import Model, load_model


@pytest.fixture(scope="session")
def model() -> Model:
    """The model trained from the committed corpus, loaded once."""
    return load_model()
