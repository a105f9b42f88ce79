FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY feeds ./feeds
COPY migrations ./migrations
RUN pip install -e . \
    && useradd --system --home-dir /app feeds
USER feeds

EXPOSE 8000
CMD ["feeds", "api", "--bind", "0.0.0.0:8000"]
