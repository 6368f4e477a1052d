# syntax=docker/dockerfile:1
# beacon-ingest: multi-stage build; the runtime image holds production dependencies only.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (the embedded store) compiles when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
# Types checked, then the service and the browser collector script it serves at SCRIPT_PATH (esbuild).
RUN npm run typecheck && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
ENV PORT=3006
ENV DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node migrations ./migrations
RUN mkdir -p /app/data && chown node:node /app/data
# The spool, the write-ahead log, the generated secret and the embedded database live here.
VOLUME ["/app/data"]
USER node
EXPOSE 3006
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || process.env.PORT || 3006) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# Exec form: node is the process that receives SIGTERM (no shell in between to swallow it).
CMD ["node", "dist/server.js"]
