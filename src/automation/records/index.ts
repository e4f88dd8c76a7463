/**
 * The records layer, beside the workspace layer: the audit trail every operation appends to (hash-chained, verified and
 * queried here) and the idempotency records of requests. It imports no other automation layer. This index re-exports
 * what the layers above use.
 */
export * from "./audit";
export * from "./audit-verify";
export * from "./idempotency";
