# A reproducible Linux environment for the harness, made of docs/platforms.md's own commands
# (tests/test_dockerfile.py checks that every RUN step is one of them).
# Build:  docker build -t cpython-plus .
# Run:    docker run --rm -v "$PWD/results:/project/results" cpython-plus
FROM debian:bookworm

# A bare Debian, as docs/platforms.md's "On a bare Debian or Ubuntu" starts: what the harness needs
# before it can install the rest itself. The last command only keeps the image small.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git make python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /project
COPY . .

# Build dependencies (apt-get) and the pinned harness venv, exactly as a newcomer gets them.
RUN make deps

# The main job: build every variant, run the benchmark matrix, write the report into
# results/ (mount it to keep the run). The source tarball comes from downloads/ if it
# was in the build context, else the routes in cpython.toml.
CMD ["make", "bench"]
