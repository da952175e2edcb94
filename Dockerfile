# Multi-stage build of the single flowplane binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -buildvcs=false -ldflags "-X main.version=${VERSION}" -o /out/flowplane ./cmd/flowplane

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/flowplane --create-home flowplane
COPY --from=build /out/flowplane /usr/local/bin/flowplane
USER flowplane
WORKDIR /var/lib/flowplane
EXPOSE 8080 7000 7100
ENTRYPOINT ["/usr/local/bin/flowplane"]
