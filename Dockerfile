# syntax=docker/dockerfile:1
#
# windrose: a static binary on distroless. Build with
#   docker build --build-arg VERSION=$(git describe --tags --always) -t windrose .
# In a container the gateway must listen on 0.0.0.0:8080 (server.listen), not
# the loopback default. The image carries deploy/container/windrose.yaml as
# /etc/windrose/windrose.yaml (Mistral API then OpenRouter, keys from the
# environment); mount your own file over it for anything else. Try it with no
# credentials: docker run -p 8080:8080 windrose demo --listen 0.0.0.0:8080

FROM golang:1.26 AS build
WORKDIR /src
# Module downloads get their own layer, so a source change does not refetch them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/windrose ./cmd/windrose

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/windrose /windrose
# The shipped configs (example, demo, price table) for reference, and a
# container-ready default config.
COPY config/ /etc/windrose/
COPY deploy/container/windrose.yaml /etc/windrose/windrose.yaml
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/windrose"]
CMD ["serve", "--config", "/etc/windrose/windrose.yaml"]
