# syntax=docker/dockerfile:1
# Build: compile TypeScript and generate protobuf code with the toolchain from package-lock.json.
FROM node:20-bookworm-slim AS build
# better-sqlite3 (the access-review snapshots) compiles when no prebuilt binary fits
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY proto ./proto
COPY buf.yaml buf.gen.yaml tsconfig.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# Runtime: production dependencies, compiled code, the fake Atlassian Cloud's OpenAPI schema extracts (read by
# `demo`; tsc does not emit JSON, so they go next to the compiled loader) and the .proto files (for server reflection).
# test/image/runtime-stage.test.ts reproduces this stage from its COPY, ENV, ENTRYPOINT, CMD and HEALTHCHECK lines
# (keep them in exec form, one COPY source per line) and runs serve, health, a sync and demo from it.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    BATON_HOST=0.0.0.0 \
    BATON_PORT=50051 \
    BATON_LOG_FORMAT=json
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist/src ./dist/src
COPY --from=build --chown=node:node /app/src/fake-atlassian/schemas ./dist/src/fake-atlassian/schemas
COPY --from=build --chown=node:node /app/proto ./proto
COPY --chown=node:node package.json ./
USER node
EXPOSE 50051
# `health` reads the same BATON_TLS_* env as `serve` (and BATON_HEALTH_TLS_* to override), so this works with TLS and
# mTLS too; it answers NOT_SERVING while the server drains after SIGTERM (give `docker stop -t 30` for the 25 s grace).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/cli/main.js", "health", "--timeout", "3000"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve", "--host", "0.0.0.0"]
