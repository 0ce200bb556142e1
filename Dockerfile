# The Function's runtime image, for teams that build images with Docker. `npm run package` builds the
# same image without Docker (base layers + dist/function.js and its V8 code cache + package layers).
#
#   npm ci && npm run build
#   docker build -t function-tessera-runtime .
#   crossplane xpkg build --package-root=package --embed-runtime-image=function-tessera-runtime \
#     --package-file=_output/function-tessera-amd64.xpkg
#
# distroless: no shell or package manager; runs as the nonroot user (65532).
# Node.js 24, the active LTS: Node.js 20 reached end of life on 2026-04-30.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /function
# The code cache speeds the start only if this image's Node.js is the version that ran `npm run
# build` (the function logs codeCache: used or rejected); `npm run package` records it with the
# image's own node instead.
COPY --chmod=0444 dist/function.js dist/function.js.cache /function/
USER 65532:65532
EXPOSE 9443
# The function is the entrypoint and CMD is empty, so `crossplane composition render` (Docker
# runtime) can pass --insecure as the command. In a cluster Crossplane sets TLS_SERVER_CERTS_DIR.
# --address: every interface even with --insecure (whose default is loopback), since in a container
# the network namespace is the boundary and render reaches the function through a published port.
ENTRYPOINT ["/nodejs/bin/node", "/function/function.js", "--address=0.0.0.0:9443"]
CMD []
