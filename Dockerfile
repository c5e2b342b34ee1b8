# smartalbum in one image: the web app, the index coordinator and the worker.
#   docker build -t smartalbum .
#   docker run smartalbum worker --concurrency 2     (see compose.yaml and README "Scale out")
# Not built on the machines this project is developed on (they run no containers): the
# commands it serves are the ones tests/test_distributed.py runs as plain processes.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Videos are decoded by Debian's ffmpeg in a subprocess (never linked into the Python process).
# Not pinned to a version: bookworm's security updates replace it, and the archive keeps only
# the newest, so a pinned build would fail the day after an update (hadolint's DL3008).
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 smartalbum
WORKDIR /opt/smartalbum
# Every dependency from the lock (scripts/lock; README "Dependencies and the lock"): the same
# versions in every build, each file checked against its sha256. Its own layer, rebuilt only
# when the lock changes.
COPY requirements/docker.txt ./requirements/
RUN pip install --require-hashes --requirement requirements/docker.txt
COPY pyproject.toml README.md ./
COPY src ./src
# The project alone, built by the locked setuptools. The default model's weights install with
# the package: nothing is fetched at run time.
RUN pip install --no-deps --no-build-isolation . && rm -rf /root/.cache

# Uploads from browsers and phones: a volume here, shared with the workers that index them.
RUN mkdir /uploads && chown smartalbum:smartalbum /uploads
# smartalbum's uid (made above): numeric, so a host without the user can resolve it.
USER 1000
# Each container builds the model's ONNX file here on first start (no torch): a volume keeps it.
ENV SMARTALBUM_CACHE_DIR=/home/smartalbum/.cache/smartalbum \
    SMARTALBUM_UPLOAD_ROOT=/uploads \
    SMARTALBUM_ENGINE=onnx
EXPOSE 8000
ENTRYPOINT ["smartalbum"]
CMD ["serve", "--host", "0.0.0.0", "--public"]
