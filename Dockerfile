# One image for the three processes (web, worker, beat); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 10001 tracker
# prometheus_client's multiprocess files (docker-compose.yml mounts a shared volume here).
RUN mkdir -p /run/tracker-metrics && chown tracker /run/tracker-metrics
COPY pyproject.toml setup.py README.md ./
COPY config ./config
COPY tracker ./tracker
COPY notifications ./notifications
COPY workers ./workers
COPY web ./web
COPY gunicorn.conf.py ./
RUN pip install .

USER tracker
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "web:create_app()"]
