# One image for every Jauap service; the command picks the service: `jauap serve desk`.
#
# Three stages: `console` installs the console's chart library with npm ci (package-lock.json);
# `build` installs the locked packages (uv.lock, no dev group) into /app/.venv with uv and
# trains the classifier's model; the runtime stage copies only the environment, the code and the model,
# so neither uv nor its download cache is in the image. The user is unprivileged (uid 10001) and owns
# nothing it runs: the code and the model are read-only to it (Kubernetes runs it with a read-only root
# file system, deploy/k8s).
ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-slim

# The console's chart library from package-lock.json (npm ci); only its node_modules goes on.
FROM ${NODE_IMAGE} AS console
WORKDIR /console
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM ${PYTHON_IMAGE} AS build
# The image's own Python, never one uv downloads; bytecode compiled now, since the runtime cannot write.
ENV PYTHONDONTWRITEBYTECODE=1 UV_PROJECT_ENVIRONMENT=/app/.venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/pip pip install "uv==0.13.9"
# Dependencies first: a code change then rebuilds only the layers below.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project
COPY schemas schemas
COPY channels channels
COPY services services
COPY sandboxes sandboxes
COPY jauap jauap
COPY --from=console /console/node_modules node_modules
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev \
    && .venv/bin/jauap train

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH="/app/.venv/bin:$PATH" \
    JAUAP_HOST=0.0.0.0 JAUAP_LOG_FORMAT=json
RUN groupadd --system --gid 10001 jauap \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin jauap
WORKDIR /app
COPY --from=build /app /app
USER 10001:10001
# Ready means the service reaches Kafka and the store. JAUAP_PORT is the service's port (the
# services' defaults are 8000-8003); JAUAP_HEALTHCHECK_URL replaces the whole URL (the sandboxes).
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('JAUAP_HEALTHCHECK_URL') or 'http://127.0.0.1:%s/readyz' % os.environ.get('JAUAP_PORT', '8000'), timeout=4)"]
CMD ["jauap", "--help"]
