/**
 * The engine layer: runs the Pulumi engine for one operation (preview, up, destroy, refresh) under the backend's locks,
 * and reads what runs left behind: history and outcomes, outputs, the stack list and status, the live release and its
 * health, application logs. It imports only the backend, workspace and records layers. This index re-exports what the
 * release layer and the automation face use.
 */
export * from "./app-logs";
export * from "./health-check";
export * from "./history";
export * from "./live-release";
export * from "./operation-outcomes";
export * from "./operations";
export * from "./run";
export * from "./stack-facts";
export * from "./stack-list";
export * from "./stack-queries";
export * from "./stack-rollout";
export * from "./stack-status";
export * from "./update-message";
