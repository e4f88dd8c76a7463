import path from "node:path";
import * as pulumi from "@pulumi/pulumi";

// The dynamic providers are serialized into the stack's state and run in Pulumi's provider process. They capture only
// two plain strings — where tsx's loader and the implementation module live — and load the implementation at run time,
// so the serialized code stays small and the logic stays in ordinary, tested TypeScript.
const TSX_API = require.resolve("tsx/cjs/api");
const IMPLEMENTATION = path.join(__dirname, "provider-impl.ts");

/** Provider of `LocalEndpoint`: the per-stack supervisor on a stable port. */
export const endpointProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).createEndpoint(inputs);
  },
  async read(id, props) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).readEndpoint(id, props);
  },
  async diff(_id, olds, news) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).diffEndpoint(olds, news);
  },
  async delete(_id, props) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).deleteEndpoint(props);
  },
};

/** Provider of `LocalRelease`: one version of the app running under the endpoint. */
export const releaseProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).createRelease(inputs);
  },
  async read(id, props) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).readRelease(id, props);
  },
  async diff(_id, olds, news) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).diffRelease(olds, news);
  },
  async delete(id, props) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).deleteRelease(id, props);
  },
};
