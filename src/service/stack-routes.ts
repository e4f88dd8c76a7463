import type { RouteModule } from "./api-context";

/** Stacks: list, outputs and version, history, rollback, promote, destroy, app logs. */
export const stackRoutes: RouteModule = {
  routes: [],
  paths: {},
  register() {},
};
