"""The model registry: named models, numbered versions, stages, aliases (filled in by the registry issue)."""
