# Production image for the API and the worker (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The CPU build of torch keeps the image free of CUDA packages.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY api api
COPY core core
COPY users users
COPY audit audit
COPY employers employers
COPY citizens citizens
COPY placements placements
COPY batch batch
COPY matching matching
COPY scoring scoring
COPY taxonomy taxonomy
COPY embeddings embeddings
COPY demo demo
COPY migrations migrations
COPY web web
RUN pip install .

RUN useradd --system --uid 10001 brobygger && mkdir /data && chown brobygger /data
USER brobygger
ENV BROBYGGER_DATA_DIR=/data BROBYGGER_HOST=0.0.0.0
EXPOSE 8000
CMD ["brobygger", "serve"]
