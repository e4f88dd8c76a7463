/**
 * Deployment Planner's automation, and the only module of it that the library entry, the CLI and the service import.
 * It is built in layers, each importing only the layers below it:
 *
 * - `release/`: the deployment pipeline, rollback, promotion, sync, redeploy, garbage collection;
 * - `engine/`: one engine operation under the stack's locks, and what runs left (history, status, live release);
 * - `backend/`: the workspace's state backend, chosen once, the stack lock, engine locks and repair;
 * - `workspace/` and `records/`: the workspace, stack files and errors; the audit trail and idempotency records.
 */
export * from "./release/index";
export * from "./engine/index";
export * from "./backend/index";
export * from "./records/index";
export * from "./workspace/index";
