import { lazyDynamicProvider } from "../dynamic-provider";

/** Provider of `LocalEndpoint`: the per-stack supervisor on a stable port. */
export const endpointProvider = lazyDynamicProvider("local", {
  create: "createEndpoint",
  read: "readEndpoint",
  delete: "deleteEndpoint",
  diff: "diffEndpoint",
});

/** Provider of `LocalRelease`: one version of the app running under the endpoint. */
export const releaseProvider = lazyDynamicProvider("local", {
  create: "createRelease",
  read: "readRelease",
  delete: "deleteRelease",
  diff: "diffRelease",
  update: "updateRelease",
});
