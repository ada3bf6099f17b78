"""What a text or a spoken answer means, read with the model this process loaded once.

`service.understanding.load_model` finds its model again on every call (its cache is keyed by
the corpus folder and cache folder, which it resolves on disk each time: about as long as the
reading itself). The conversation and the phone line read every message, so they keep the one
model here.
"""

from __future__ import annotations

import functools

from service.understanding import Model, Understanding, load_model, understand
from service.vocabulary import Stage


@functools.cache
def process_model() -> Model:
    """The understanding model, loaded (or trained) on first use, then kept."""
    return load_model()


def read(text: str, *, stage: Stage | None = None, language: str | None = None) -> Understanding:
    """What `text` means (`stage` and the person's `language` when known)."""
    return understand(text, stage=stage, language=language, model=process_model())
