import path from "node:path";
import { lazyDynamicProvider } from "../dynamic-provider";

const IMPLEMENTATION = path.join(__dirname, "provider-impl.ts");

/** Provider of `LocalEndpoint`: the per-stack supervisor on a stable port. */
export const endpointProvider = lazyDynamicProvider(IMPLEMENTATION, {
  create: "createEndpoint",
  read: "readEndpoint",
  delete: "deleteEndpoint",
  diff: "diffEndpoint",
});

/** Provider of `LocalRelease`: one version of the app running under the endpoint. */
export const releaseProvider = lazyDynamicProvider(IMPLEMENTATION, {
  create: "createRelease",
  read: "readRelease",
  delete: "deleteRelease",
  diff: "diffRelease",
});
