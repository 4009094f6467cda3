# rebalancer in a container (docs/docker.md). Build from the repository's root:
#     docker build -t rebalancer .
# and run it with an init that forwards SIGTERM, so a stop drains work as under systemd:
#     docker run --init -v rebalancer-state:/var/lib/rebalancer rebalancer
# (docker-compose.yml sets `init: true`). The image holds a paper config at
# /etc/rebalancer/config.toml; mount your own over it.

# Both stages start from the same Debian release, so the wheel is built where it runs.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the wheel, with the build tool at the lock's version -------------------------------
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY requirements/lock.txt requirements/lock.txt
RUN python -m pip install --no-cache-dir --constraint requirements/lock.txt build
COPY pyproject.toml README.md ./
COPY src/ src/
RUN python -m build --wheel --outdir /dist

# --- run: a venv holding the wheel and exactly the lock's dependencies -------------------------
FROM ${PYTHON_IMAGE}
# The HTTP API is on (all addresses inside the container; publish it on 127.0.0.1 only): the
# health check asks it. It needs a token, REBALANCER_API__TOKEN, from a secret or the
# environment (docs/docker.md); these variables override the config file's [api] table.
ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    PATH=/opt/rebalancer/bin:$PATH \
    REBALANCER_API__ENABLED=true \
    REBALANCER_API__HOST=0.0.0.0
# packaging/install.sh is the one install procedure: the standalone-wheel test runs the same
# script with the same arguments (tests/integration/deploy/test_standalone_wheel.py).
COPY requirements/lock.txt packaging/install.sh /tmp/install/
COPY --from=build /dist/ /tmp/install/
RUN sh /tmp/install/install.sh /opt/rebalancer /tmp/install/rebalancer-*.whl \
        /tmp/install/lock.txt /etc/rebalancer /var/lib/rebalancer \
    && rm -rf /tmp/install \
    && groupadd --system --gid 10001 rebalancer \
    && useradd --system --uid 10001 --gid rebalancer --home-dir /var/lib/rebalancer \
        --shell /usr/sbin/nologin rebalancer \
    && install -d -o rebalancer -g rebalancer -m 0700 /var/lib/rebalancer

# a numeric id, so an orchestrator can tell it is not root without reading /etc/passwd
USER 10001:10001
WORKDIR /var/lib/rebalancer
VOLUME ["/var/lib/rebalancer"]
EXPOSE 8787
# Healthy while the daemon's /health says so: checks completing, venues reconciled and fresh,
# the breaker not halted. Start-up (connecting, loading markets, recovery) gets two minutes.
HEALTHCHECK --interval=30s --timeout=30s --start-period=2m --retries=3 \
    CMD ["rebalancer", "status", "--json", "--config", "/etc/rebalancer/config.toml"]
ENTRYPOINT ["rebalancer"]
CMD ["run", "--config", "/etc/rebalancer/config.toml"]
