# syntax=docker/dockerfile:1
#
# One Dockerfile builds every Switchyard service: pick the service with --target (one final stage per app).
#
#   docker build --target ingress -t switchyard/ingress:dev .
#   docker compose build              # builds every service (see docker-compose.yml)
#
# Stages:
#   base       node 22 LTS (bookworm-slim) + the npm version the lockfile was written with
#   manifests  every workspace's package.json + package-lock.json, nothing else (keeps `npm ci` cached)
#   deps       npm ci: every dependency, dev included (TypeScript, turbo)
#   build      turbo builds every app and the packages they use; collects each workspace's dist/
#   prod-deps  npm ci --omit=dev: runtime dependencies only
#   runtime    node 22 slim, no npm, production node_modules + dist + the catalog seed, user `node`
#   <app>      FROM runtime: the app's ports and its CMD (ingress, routing, providers, metering, billing, catalog,
#              simulator). deploy/test/dockerfile.spec.ts fails when an app under apps/ has no stage here.
#
# Building without --target gives the last stage (simulator): always name the target.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    TURBO_TELEMETRY_DISABLED=1
# The root package.json's "packageManager"; node:22 ships npm 10.
RUN npm install --global npm@11.19.1 && npm cache clean --force
WORKDIR /app

FROM base AS manifests
COPY . /context
RUN cd /context \
 && mkdir -p /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find . -name node_modules -prune -o -name package.json -print | xargs -I '{}' cp --parents '{}' /manifests/

FROM base AS deps
COPY --from=manifests /manifests/ ./
# Install scripts stay off, as on the developers' machines (npm 11 does not run them unless approved).
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts

FROM deps AS build
COPY . .
RUN npx turbo run build --filter='./apps/*' --output-logs=errors-only \
 && mkdir -p /out \
 && for dir in packages/* apps/*; do \
      if [ -d "$dir/dist" ]; then mkdir -p "/out/$dir" && cp -R "$dir/dist" "/out/$dir/dist"; fi; \
    done

FROM base AS prod-deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LOG_FORMAT=json
# Nothing at run time needs a package manager: fewer binaries, fewer CVEs to triage.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
WORKDIR /app
# Owned by root and read-only for the service user: the containers run with a read-only root filesystem.
COPY --from=prod-deps /app/ ./
COPY apps/catalog/seed/ ./apps/catalog/seed/
COPY --from=build /out/ ./
# uid/gid 1000 of the base image; Kubernetes manifests pin runAsUser 1000 so runAsNonRoot can be verified.
USER node

FROM runtime AS billing
EXPOSE 9084
CMD ["node", "apps/billing/dist/main.js"]

FROM runtime AS catalog
EXPOSE 9085
CMD ["node", "apps/catalog/dist/main.js"]

FROM runtime AS ingress
EXPOSE 8080 9080
CMD ["node", "apps/ingress/dist/main.js"]

FROM runtime AS metering
EXPOSE 9083
CMD ["node", "apps/metering/dist/main.js"]

FROM runtime AS providers
EXPOSE 9082
CMD ["node", "apps/providers/dist/main.js"]

FROM runtime AS routing
EXPOSE 9081
CMD ["node", "apps/routing/dist/main.js"]

FROM runtime AS simulator
EXPOSE 9086 8090
CMD ["node", "apps/simulator/dist/main.js"]
