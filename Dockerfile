# syntax=docker/dockerfile:1
# One image for all three processes; the command picks the process:
#
#   docker run IMAGE python -m wegwijs.serve gateway|rasa|actions
#
# Stages: venv (the pinned runtime packages, with hashes) -> app (the source, compiled catalogs,
# rendered domain) -> model (trains the model, as `make train` does) -> runtime (slim, non-root).
# To ship a model trained elsewhere instead of training here, replace the `model` stage with a
# folder holding wegwijs.tar.gz:  docker build --build-context model=./trained .   (docs/deploy.md)
# Nothing here was built on the machine this was written on (no image can be pulled there):
# `make validate-deploy` checks the file's facts, not a build.

ARG PYTHON_IMAGE=python:3.10-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
# Rasa 3.6 runs on Python 3.8-3.10 only.
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2

FROM base AS venv
# A compiler for the few packages of requirements.lock that come as source only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock requirements-dev.lock /tmp/locks/
# The pip that scripts/setup.sh uses, by its hashes from requirements-dev.lock; then the runtime
# lock only (no test or lint packages), every file checked against its hash.
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/venv \
    && awk '/^pip==/{p=1} p{print} p&&!/\\$/{exit}' /tmp/locks/requirements-dev.lock > /tmp/locks/pip.lock \
    && /opt/venv/bin/pip install --require-hashes -r /tmp/locks/pip.lock \
    && /opt/venv/bin/pip install --require-hashes -r /tmp/locks/requirements.lock \
    && /opt/venv/bin/pip check

FROM venv AS app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app
WORKDIR /app
COPY . .
# What `make domain` does: compile the catalogs (.mo files are not committed), render the domain.
RUN python -m scripts.catalogs compile \
    && python -m bot.build_domain \
    && python -m compileall -q api actions bot wegwijs scripts deploy

FROM app AS model
# What `make train` does; the model's name carries the fingerprint of its inputs.
RUN python -m scripts.train && cp models/wegwijs-*.tar.gz /wegwijs.tar.gz

FROM base AS runtime
RUN groupadd --system --gid 10001 wegwijs \
    && useradd --system --uid 10001 --gid wegwijs --home-dir /home/wegwijs --create-home \
       --shell /usr/sbin/nologin wegwijs
COPY --from=venv /opt/venv /opt/venv
COPY --from=app /app /app
COPY --from=model /wegwijs.tar.gz /app/models/wegwijs.tar.gz
# WEGWIJS_BIND: listen on every interface of the container (the default, 127.0.0.1, is for a
# checkout). WEGWIJS_RUN_DIR and MPLCONFIGDIR point at /tmp, the only place that needs to be
# writable (a tmpfs or an emptyDir where the root file system is read-only).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    WEGWIJS_BIND=0.0.0.0 \
    WEGWIJS_MODEL=/app/models/wegwijs.tar.gz \
    WEGWIJS_RUN_DIR=/tmp/wegwijs \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/home/wegwijs
WORKDIR /app
USER 10001:10001
EXPOSE 8000 5005 5055
# Finds which of the three processes runs and asks its health path (deploy/healthcheck.py). The
# start period covers Rasa loading its model (up to about two minutes).
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]
CMD ["python", "-m", "wegwijs.serve", "gateway"]
