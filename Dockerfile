# One image for every Jauap service; the command picks the service: `jauap serve desk`.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
RUN pip install --no-cache-dir "uv==0.13.9"
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY schemas schemas
COPY channels channels
COPY services services
COPY sandboxes sandboxes
COPY jauap jauap
RUN uv sync --frozen --no-dev && .venv/bin/jauap train
ENV PATH="/app/.venv/bin:$PATH" JAUAP_HOST=0.0.0.0
RUN useradd --system --uid 10001 jauap && chown -R jauap /app/.cache 2>/dev/null || true
USER jauap
CMD ["jauap", "--help"]
