# Frontline service image (used by docker-compose.yml).
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --bin frontline

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app frontline
WORKDIR /app
COPY --from=build /src/target/release/frontline /usr/local/bin/frontline
COPY config ./config
COPY data ./data
USER frontline
EXPOSE 8080
CMD ["frontline", "serve", "--bootstrap"]
