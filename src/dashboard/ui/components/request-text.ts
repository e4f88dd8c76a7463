import { parse } from "yaml";

/** The longest request text the editor sends (the API's own body limit is larger; a request is never this long). */
export const MAX_REQUEST_CHARS = 100_000;

/** A request text read as a document: the object it holds, or why it is not one (a sentence naming the line). */
export type ParsedRequest = { readonly ok: true; readonly request: Record<string, unknown> } | { readonly ok: false; readonly reason: string };

/**
 * Reads a request as a person wrote it, JSON or YAML (JSON is YAML, so one parser reads both), into the JSON object
 * the API takes. Anything else (a list, a number, an empty text) is refused with a sentence saying what to write.
 */
export function parseRequestText(text: string): ParsedRequest {
  if (text.trim() === "") return { ok: false, reason: "Write a deployment request, or start from the project's last one." };
  if (text.length > MAX_REQUEST_CHARS) return { ok: false, reason: `The request is longer than ${MAX_REQUEST_CHARS} characters; shorten it.` };
  let value: unknown;
  try {
    // Aliases are capped, so a small hostile document cannot expand into a huge one in the person's browser.
    value = parse(text, { maxAliasCount: 50, prettyErrors: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : "unreadable";
    return { ok: false, reason: `The request is neither valid JSON nor YAML: ${message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "The request must be an object of fields (project_id, deployment_type, tech_stack, …), not a list or a single value." };
  }
  return { ok: true, request: value as Record<string, unknown> };
}

/**
 * The request with the project and environment the person picked: those two selects decide where it deploys, so a
 * pasted request from another project cannot deploy somewhere the person did not choose.
 */
export function withDestination(request: Record<string, unknown>, projectId: string, environment: string): Record<string, unknown> {
  const given = request.environment;
  const environmentFields = typeof given === "object" && given !== null && !Array.isArray(given) ? (given as Record<string, unknown>) : {};
  return { ...request, ...(projectId ? { project_id: projectId } : {}), ...(environment ? { environment: { ...environmentFields, ENV: environment } } : {}) };
}

/** The problems of one field, under the field's name (`request` for the document as a whole). */
export interface FieldProblems {
  readonly field: string;
  readonly messages: readonly string[];
}

/**
 * The planner's problems (`build.port: expected number but got 'x'`) grouped by field in the order they came, so the
 * editor shows each field's messages together. A problem without a field path goes under `request`.
 */
export function groupProblems(problems: readonly string[]): FieldProblems[] {
  const groups = new Map<string, string[]>();
  for (const problem of problems) {
    const match = /^([A-Za-z0-9_.[\]-]+): (.+)$/s.exec(problem);
    const field = match?.[1] ?? "request";
    const message = match?.[2] ?? problem;
    const list = groups.get(field) ?? [];
    list.push(message);
    groups.set(field, list);
  }
  return [...groups].map(([field, messages]) => ({ field, messages }));
}

/** A request object as the editor shows it: pretty JSON, which the editor reads back like any YAML. */
export function requestText(request: Record<string, unknown>): string {
  return `${JSON.stringify(request, null, 2)}\n`;
}
