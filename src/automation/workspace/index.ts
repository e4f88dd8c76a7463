/**
 * The workspace layer, the floor of automation: what a workspace is (its directories, the engine's environment and
 * toolchain, the contract of its state backend), the stack files, the errors every layer reports, and small shared
 * pieces (bounded delays, process liveness, the operator's name, optional packages). It imports no other automation
 * layer. This index re-exports what the layers above use.
 */
export * from "./delay";
export * from "./errors";
export * from "./operation-types";
export * from "./principal";
export * from "./process-liveness";
export * from "./project-name";
export * from "./sdk";
export * from "./service-packages";
export * from "./stack-config";
export * from "./state-backend";
export * from "./target-packages";
export * from "./workspace";
