"""The model registry on disk (``<store>/registry/``): the store layer of the registry.

* :mod:`~litetrack.store.registry.store`: :class:`RegistryStore`, the layout and
  its crash-safety argument; reached as ``Store.registry``;
* :mod:`~litetrack.store.registry.reader`: lock-free reads, ``models:/`` resolution;
* :mod:`~litetrack.store.registry.pinning`: a model source (``runs:/``,
  ``models:/``, a local folder) turned into pinned blobs, and registration;
* :mod:`~litetrack.store.registry.docs`, ``checks``, ``history``, ``uris``:
  document formats, name and tag checks, the history log, ``models:/`` URIs;
* :mod:`~litetrack.store.registry.search`: the searches (over the search cache,
  :mod:`~litetrack.store.registry.cache`, or the documents);
  :mod:`~litetrack.store.registry.filters`: their filter dialect;
* :mod:`~litetrack.store.registry.importing`: MLflow's file registry imported.

The API on top (``Client`` methods, ``litetrack.register_model`` ...) lives in
:mod:`litetrack.registry`; gc and verify read this package directly.
"""
