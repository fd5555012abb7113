# Floe in a container: built with the Swift toolchain image, run on a slim Debian with only the
# runtime libraries, as an unprivileged user, data in /data.
FROM swift:6.3-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev libssl-dev && rm -rf /var/lib/apt/lists/*
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product floe && cp "$(swift build -c release --show-bin-path)/floe" /floe

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 zlib1g ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin floe \
    && mkdir -p /data && chown floe:floe /data
COPY --from=build /floe /usr/local/bin/floe
USER floe
ENV FLOE_DATA=/data FLOE_S3_ADDRESS=0.0.0.0:9000 FLOE_CATALOG_ADDRESS=0.0.0.0:8181 FLOE_CONSOLE_ADDRESS=0.0.0.0:9001
VOLUME ["/data"]
EXPOSE 9000 8181 9001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD curl -fsS http://127.0.0.1:9000/floe/health/ready || exit 1
ENTRYPOINT ["floe"]
CMD ["server"]
