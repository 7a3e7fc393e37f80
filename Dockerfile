# Stockyard's image: one image for every process (`serve --only <layer>`, `worker`, `migrate`, `demo`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STOCKYARD_HOST=0.0.0.0 \
    STOCKYARD_PORT=8000 \
    STOCKYARD_VAR_DIR=/home/stockyard/var \
    STOCKYARD_LOG_FORMAT=json

WORKDIR /build
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
# `stockyard migrate` reads alembic.ini and migrations/ next to the package's root (core/migrate.py's ROOT), which
# for an installed package is the directory above site-packages: put them there.
RUN pip install . \
    && root="$(python -c 'from stockyard.core.migrate import ROOT; print(ROOT)')" \
    && cp -r alembic.ini migrations "$root"/ \
    && rm -rf /build \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin stockyard

USER stockyard
WORKDIR /home/stockyard
RUN mkdir -p var
EXPOSE 8000 9100
ENTRYPOINT ["stockyard"]
CMD ["serve"]
