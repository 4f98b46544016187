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

# The main job: build every variant, run the benchmark matrix, write the report into
# results/ (mount it to keep the run). The source tarball comes from downloads/ if
# present, else the routes in cpython.toml.
CMD ["make", "bench"]
