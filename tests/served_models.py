"""The models the tests' shared emulators serve: the current catalog, and the retired
moonshot-v1 family besides."""

from __future__ import annotations

from kimi_core.catalog.model_info import current_models

__all__ = ["LEGACY_MODELS", "SERVED"]

# moonshot-v1 retired on 2026-08-31, but it is the catalog's model that never thinks and takes
# free sampling, images without video, n up to 5: the rules these tests exercise. The shared
# emulators serve it explicitly besides the current models.
LEGACY_MODELS = (
    "moonshot-v1-8k",
    "moonshot-v1-32k",
    "moonshot-v1-128k",
    "moonshot-v1-8k-vision-preview",
)
SERVED = [*(m.id for m in current_models()), *LEGACY_MODELS]
