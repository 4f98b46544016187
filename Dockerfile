# A reproducible Linux environment for the harness: the same commands as README.md.
# Build:  docker build -t cpython-plus .
# Run:    docker run --rm -v "$PWD/results:/project/results" cpython-plus
FROM debian:bookworm

# Only what the harness needs before it can install the rest itself (make deps):
# git (git apply for patches), make and python3 + python3-venv (the harness and its venv).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git make python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /project
COPY . .

# Build dependencies (apt-get) and the pinned harness venv, exactly as a newcomer gets them.
RUN make deps

# The main job. Until the benchmark matrix lands this builds the yardstick; the source
# tarball comes from downloads/ if present, else the routes in cpython.toml.
CMD ["make", "build", "VARIANT=baseline"]
