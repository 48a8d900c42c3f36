"""On-disk layout: primitives, documents, runs, objects, registry, index."""
