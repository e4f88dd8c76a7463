import type { RequestKind } from "../http-retry";

const NAMED = "edges { node { id name } }";
const PROJECT = `id name description environments { ${NAMED} } services { ${NAMED} }`;
// Names and descriptions only: a page of whole projects would be a heavy query for a lookup.
const PROJECT_PAGE = "edges { node { id name description } } pageInfo { hasNextPage endCursor }";

const SERVICE_DOMAIN = "id domain targetPort";
// A custom domain's DNS records are what its owner must add at their DNS provider before Railway serves it.
const CUSTOM_DOMAIN = "id domain targetPort status { dnsRecords { recordType fqdn requiredValue purpose } }";

/**
 * The GraphQL operations of Railway's public API this product uses: one document each (checked against Railway's
 * schema by the tests), and what repeating it could do.
 */
export const OPERATIONS = {
  projectCreate: { kind: "create", document: `mutation projectCreate($input: ProjectCreateInput!) { projectCreate(input: $input) { ${PROJECT} } }` },
  project: { kind: "read", document: `query project($id: String!) { project(id: $id) { ${PROJECT} } }` },
  // Railway's root `projects` no longer lists a workspace's projects; it is the lookup only when no workspace is set.
  projects: { kind: "read", document: `query projects($first: Int, $after: String) { projects(first: $first, after: $after) { ${PROJECT_PAGE} } }` },
  workspaceProjects: {
    kind: "read",
    document: `query workspaceProjects($workspaceId: String!, $first: Int, $after: String) { workspace(workspaceId: $workspaceId) { projects(first: $first, after: $after) { ${PROJECT_PAGE} } } }`,
  },
  projectToken: { kind: "read", document: "query projectToken { projectToken { projectId environmentId project { name } environment { name } } }" },
  projectDelete: { kind: "delete", document: "mutation projectDelete($id: String!) { projectDelete(id: $id) }" },
  environmentCreate: { kind: "create", document: `mutation environmentCreate($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id name } }` },
  serviceCreate: { kind: "create", document: "mutation serviceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }" },
  serviceDelete: { kind: "delete", document: "mutation serviceDelete($id: String!, $environmentId: String) { serviceDelete(id: $id, environmentId: $environmentId) }" },
  // Sets the instance's settings to the given values, so repeating it sets the same values again.
  serviceInstanceUpdate: {
    kind: "update",
    document:
      "mutation serviceInstanceUpdate($serviceId: String!, $environmentId: String, $input: ServiceInstanceUpdateInput!) { serviceInstanceUpdate(serviceId: $serviceId, environmentId: $environmentId, input: $input) }",
  },
  // With `replace` the service's variables become exactly the given ones, so repeating it changes nothing more.
  variableCollectionUpsert: { kind: "update", document: "mutation variableCollectionUpsert($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }" },
  template: { kind: "read", document: "query template($code: String!) { template(code: $code) { id name serializedConfig } }" },
  templateDeployV2: { kind: "create", document: "mutation templateDeployV2($input: TemplateDeployV2Input!) { templateDeployV2(input: $input) { projectId workflowId } }" },
  // What a service runs in one environment: its active deployments, its newest one and the domains that reach it.
  serviceInstance: {
    kind: "read",
    document:
      "query serviceInstance($serviceId: String!, $environmentId: String!) { serviceInstance(serviceId: $serviceId, environmentId: $environmentId) { activeDeployments { id status } latestDeployment { id status } domains { serviceDomains { domain } customDomains { domain } } } }",
  },
  // The domains that reach a service in one environment, with what the product needs to keep them as the spec says.
  serviceInstanceDomains: {
    kind: "read",
    document: `query serviceInstanceDomains($serviceId: String!, $environmentId: String!) { serviceInstance(serviceId: $serviceId, environmentId: $environmentId) { domains { serviceDomains { ${SERVICE_DOMAIN} } customDomains { ${CUSTOM_DOMAIN} } } } }`,
  },
  // Railway names the domain itself, so nothing tells two creates apart: the caller looks for one before each.
  serviceDomainCreate: { kind: "create", document: `mutation serviceDomainCreate($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { ${SERVICE_DOMAIN} } }` },
  // Sets the domain's target port to the given value, so repeating it sets the same value again.
  serviceDomainUpdate: { kind: "update", document: "mutation serviceDomainUpdate($input: ServiceDomainUpdateInput!) { serviceDomainUpdate(input: $input) }" },
  customDomainCreate: { kind: "create", document: `mutation customDomainCreate($input: CustomDomainCreateInput!) { customDomainCreate(input: $input) { ${CUSTOM_DOMAIN} } }` },
  customDomainDelete: { kind: "delete", document: "mutation customDomainDelete($id: String!) { customDomainDelete(id: $id) }" },
  workflowStatus: { kind: "read", document: "query workflowStatus($workflowId: String!) { workflowStatus(workflowId: $workflowId) { status error } }" },
} as const satisfies Record<string, { kind: RequestKind; document: string }>;

/** Name of one of the operations. */
export type RailwayOperation = keyof typeof OPERATIONS;
