# syntax=docker/dockerfile:1
# challenge-bot in a small image: build with Rust, run on Debian slim as a non-root user.
#
#   docker build -t challenge-bot .
#   docker run -d --name challenge-bot --restart unless-stopped \
#       -e TELEGRAM_BOT_TOKEN=123456:ABC… -v challenge-bot-data:/data \
#       -p 127.0.0.1:8080:8080 challenge-bot
#
# deploy/check-packaging.sh (run by CI) mirrors the build and run steps below on the host, because
# base images cannot be pulled there; it fails when the lines it mirrors change, so keep them in step.

FROM rust:1.94-slim-bookworm AS build
WORKDIR /src
# Cargo.toml names the benches, so they are needed to read it; tests/ is not.
COPY Cargo.toml Cargo.lock ./
COPY benches benches
COPY migrations migrations
COPY src src
# sqlx-core with one fix (vendor/README.md), patched in by Cargo.toml.
COPY vendor vendor
# The caches keep crates and compiled dependencies between builds (BuildKit); the binary is copied
# out in the same step because the target cache is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin challenge-bot \
    && cp target/release/challenge-bot /usr/local/bin/challenge-bot

FROM debian:bookworm-slim
# No packages: TLS uses rustls with the Mozilla roots built in (webpki-roots), SQLite is compiled
# in, time zones come with chrono-tz and the chart font with the binary. It needs glibc only.
RUN groupadd --system --gid 10001 challenge-bot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin challenge-bot \
    && mkdir /data && chown 10001:10001 /data && chmod 0700 /data
COPY --from=build /usr/local/bin/challenge-bot /usr/local/bin/challenge-bot
# SQLite by default: the database (and its -wal and -shm files) in the volume. Set DATABASE_URL to
# postgres://… to use PostgreSQL instead (compose.yaml does).
VOLUME /data
WORKDIR /data
ENV DATABASE_URL=sqlite:///data/challenge-bot.db
# /healthz, /readyz and /metrics (and the webhook, when configured). Publish it on 127.0.0.1 only,
# behind a reverse proxy: /metrics is not for the public.
ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
USER 10001:10001
# The bot stops on SIGTERM (docker stop), finishing the updates in flight; give it time to do so
# (docker stop --time 30, or stop_grace_period in compose.yaml).
ENTRYPOINT ["challenge-bot"]
CMD ["bot"]
