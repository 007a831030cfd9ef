# Image of the lienthong services (gateway, decider, projector, portal, `kafka provision`).
# Built by docker-compose.yml; the service is the command: `docker run lienthong:local gateway`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 lienthong \
 && useradd --system --uid 10001 --gid lienthong --home-dir /home/lienthong --create-home \
            --shell /usr/sbin/nologin lienthong

WORKDIR /opt/lienthong/src
# Only what the distribution is built from (pyproject.toml maps these folders to lienthong.*).
COPY pyproject.toml README.md ./
COPY services ./services
COPY schemas ./schemas
COPY projections ./projections
COPY infra ./infra
RUN pip install . \
 && rm -rf /opt/lienthong/src/build

USER lienthong:lienthong
WORKDIR /home/lienthong
EXPOSE 8000 8080
ENTRYPOINT ["lienthong"]
CMD ["--help"]
