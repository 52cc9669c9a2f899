# syntax=docker/dockerfile:1
# audience-guard container image.
#   docker build -t audience-guard:dev .
#   docker run --read-only -p 9001:9001 -p 9090:9090 -v "$PWD/deploy/examples:/policies:ro" \
#     audience-guard:dev serve --policy-file /policies
# The entrypoint is the CLI; the command (default: serve) comes first in the arguments, as the
# chart and deploy/kubernetes/ pass it (`args: [serve, …]`); `validate` and `crd` work the same way.
# Stages: build (all dependencies, compiles src/ to dist/ with tsconfig.build.json),
# deps (production dependencies only), runtime (Node 24 LTS, no npm at run time,
# numeric non-root user, nothing written to the root filesystem).

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; none of them needs an install script.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="audience-guard" \
      org.opencontainers.image.description="Envoy ext_authz service that accepts only access tokens issued for the protected resource" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
# Everything is owned by root and read-only for the service user.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
# 65532: the conventional "nonroot" UID/GID; numeric so Kubernetes can verify runAsNonRoot.
USER 65532:65532
EXPOSE 9001 9090
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve"]
