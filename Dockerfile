FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY feeds ./feeds
COPY migrations ./migrations
# A numeric USER lets the runtime check that the container does not run as root.
RUN pip install -e . \
    && groupadd --system --gid 10001 feeds \
    && useradd --system --uid 10001 --gid feeds --home-dir /app feeds
USER 10001:10001

EXPOSE 8000
CMD ["feeds", "api", "--bind", "0.0.0.0:8000"]
