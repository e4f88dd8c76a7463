/**
 * The release layer, the top of automation: the deployment pipeline over the engine (checks, deploy stages,
 * verification, canary steps, automatic and explicit rollback), promotion between environments, sync from git,
 * redeploys and garbage collection. Nothing in automation imports it. This index re-exports what the automation face
 * uses.
 */
export * from "./credentials";
export * from "./deploy";
export * from "./gc";
export * from "./promote";
export * from "./rollback";
export * from "./sync";
