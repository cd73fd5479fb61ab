# syntax=docker/dockerfile:1.7
# Multi-stage build of the `api` binary:
#   docker build -t todo-api .
#   docker run --rm -p 8000:8000 -e DATABASE_URL=postgres://… -v "$PWD/keys:/app/keys:ro" todo-api
ARG RUST_VERSION=1.95

# Dependencies are compiled in their own layer (cargo-chef), so editing the
# service's code does not rebuild them.
FROM rust:${RUST_VERSION}-slim-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked -p http-actix --bin api

# A small runtime: Debian slim with CA certificates and curl (for HEALTHCHECK);
# TLS is rustls, so no OpenSSL.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/keys /app/data \
 && chown -R app:app /app
COPY --from=builder /src/target/release/api /usr/local/bin/api
WORKDIR /app
USER app
ENV ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_JSON=true \
    JWT_PRIVATE_KEY_PATH=/app/keys/private_key.pem \
    JWT_PUBLIC_KEY_PATH=/app/keys/public_key.pem
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/v1/health/live || exit 1
ENTRYPOINT ["api"]
CMD ["serve"]
