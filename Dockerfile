# pgpro GitHub App. Build: docker build -t pgpro .   Run: see README (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET).

# The TypeScript build needs the dev dependencies; the image that runs keeps only production ones.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build bundles the CLI after tsc (dist/bundle/, which `pgpro worker` and dist/cli/main.js load), then
# makes the fresh cluster sandboxes start from (dist/pglite-*-fresh.tar.gz): the App never runs initdb.
COPY scripts/bundle-cli.ts scripts/fresh-cluster.ts ./scripts/
RUN npm run build

FROM node:22-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    PGPRO_CACHE_DIR=/home/node/.cache/pgpro
WORKDIR /app
# tini as PID 1: node as PID 1 gets no default signal handling and reaps no zombies; under tini, SIGTERM
# (docker stop, a deploy) reaches pgpro's graceful shutdown, which closes unfinished checks as cancelled.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The App's packages (probot, bullmq, ioredis, prom-client, bottleneck) are optional peers of pgpro, so that the CLI installs
# without them; the image runs the App. Its manifest lists them as dependencies and drops the dev ones, and
# npm installs everything at the lockfile's versions.
RUN node -e ' \
      const fs = require("fs"); const p = JSON.parse(fs.readFileSync("package.json", "utf8")); \
      p.dependencies = { ...p.dependencies, ...p.peerDependencies }; \
      delete p.peerDependencies; delete p.peerDependenciesMeta; delete p.devDependencies; \
      fs.writeFileSync("package.json", JSON.stringify(p, null, 2));' \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY app.yml ./
# The image's unprivileged `node` user; the sandbox cache lives in its home.
RUN mkdir -p "$PGPRO_CACHE_DIR" && chown -R node:node /home/node
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/github/server.js"]
