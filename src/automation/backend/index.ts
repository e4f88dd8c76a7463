/**
 * The backend layer: the state backends a workspace opens (file or PostgreSQL, chosen once in `openWorkspace`), the
 * product's stack lock (mutex and leases), the engine's own lock files and the bounded wait for them, orphaned engine
 * processes and the repair of interrupted updates, the in-process stack queue, and the state a deployment service
 * records in its workspace. It imports only the workspace and records layers. This index re-exports what the layers
 * above use.
 */
export * from "./lock-wait";
export * from "./locks";
export * from "./open-backend";
export * from "./open-workspace";
export * from "./repair";
export * from "./service-state";
export * from "./stack-queue";
