import type { RouteModule } from "./api-context";

/** Signed webhooks that queue deployments (GitHub pushes, generic signed hooks). */
export const hookRoutes: RouteModule = {
  routes: [],
  paths: {},
  register() {},
};
