# syntax=docker/dockerfile:1
# The project's image: the `warmcity` CLI (worker, simulator, migrations, ...), used by
# deploy/docker-compose.yml and k8s/. Two stages: `build` installs the project and its dependencies into
# a virtualenv (with a compiler, for any dependency without a wheel); `runtime` gets only that virtualenv
# and the sources, and runs as an unprivileged user.
#
#   docker build -t warmcity-pipeline:0.1.0 .
#   docker run --rm warmcity-pipeline:0.1.0 --help
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY schemas ./schemas
COPY deploy/clickhouse ./deploy/clickhouse
COPY deploy/local ./deploy/local
# Editable on purpose: the migrations are read from schemas/ next to the package
# (pipeline/storage/migrate.py), so the sources stay at /app in the runtime stage too.
RUN pip install --upgrade pip \
    && pip install -e . \
    && warmcity --version

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 warmcity \
    && useradd --system --uid 10001 --gid warmcity --home-dir /var/lib/warmcity --shell /usr/sbin/nologin warmcity \
    && mkdir -p /var/lib/warmcity \
    && chown warmcity:warmcity /var/lib/warmcity
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WARMCITY_PIPELINE_DATA_DIR=/var/lib/warmcity/worker \
    WARMCITY_STACK_RUN_DIR=/var/lib/warmcity/stack
# Relative paths the CLI writes (the simulator's ground truth under .run/) land in the user's own folder.
WORKDIR /var/lib/warmcity
USER 10001:10001
# WARMCITY_PIPELINE_METRICS_PORT: /metrics of a worker or the simulator.
EXPOSE 9108
ENTRYPOINT ["warmcity"]
CMD ["worker"]
