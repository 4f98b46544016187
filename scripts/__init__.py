"""The harness: builds named variants of a pinned CPython and measures them.

Every Makefile target is a thin call of ``python -m scripts <command>``; see
``python -m scripts --help``. The modules each do one job:

- ``config``    reads cpython.toml and variants.toml and validates them
- ``source``    fetches and verifies the pinned tarball, extracts pristine source
- ``patches``   reads the patch series, checks DEP-3 headers, applies patch sets
- ``deps``      installs build dependencies and the harness venv
- ``build``     configures and builds one variant and flavor, checks its signature
- ``regrtest``  runs CPython's own test suite and compares with baseline's failures
"""
