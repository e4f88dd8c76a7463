import { spawn } from "node:child_process";
import path from "node:path";
import type { StackSpec } from "../planner/spec";

/** One resource the program would declare. */
export interface OfflineResource {
  readonly type: string;
  readonly name: string;
  /** Logical name of the parent component, or null at the top. */
  readonly parent: string | null;
  /** Custom resources are what a provider creates; components only group them. */
  readonly custom: boolean;
  /** Logical name of the explicit provider a custom resource goes through, or null for the default provider. */
  provider: string | null;
  /** Inputs as the program gives them; secret values are "[secret]". */
  inputs: Record<string, unknown>;
}

/** The resource graph of a spec, computed under Pulumi's mocks. */
export interface OfflinePreview {
  readonly status: "offline_preview";
  readonly stack: string;
  readonly target: string;
  readonly resources: readonly OfflineResource[];
}

/** Raised when the program cannot be run under mocks for a spec. */
export class OfflinePreviewError extends Error {
  override readonly name = "OfflinePreviewError";
  readonly code = "OFFLINE_PREVIEW_FAILED" as const;
}

/** The runner beside this module: compiled JavaScript in the package, TypeScript (through tsx) in a checkout's tests. */
const FROM_SOURCE = path.extname(__filename) === ".ts";
const RUNNER = path.join(__dirname, `offline-preview-runner${FROM_SOURCE ? ".ts" : ".js"}`);

/**
 * Runs the program for a spec under Pulumi's mocks — no engine, no credentials, no network — and returns the resources
 * it would declare. Each call runs in a child process, because the SDK's mock and stack state is per process.
 */
export function previewOffline(spec: StackSpec): Promise<OfflinePreview> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, FROM_SOURCE ? ["--import", "tsx", RUNNER] : [RUNNER], {
      cwd: path.resolve(__dirname, "..", ".."),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PULUMI_CONFIG: "{}" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        // The first line of the program's error, without its stack trace.
        const reason = stderr.replace(/^Error: /m, "").split(/\s+at /)[0]!.trim().split("\n")[0] || `exit ${code}`;
        reject(new OfflinePreviewError(`the program failed under mocks for ${spec.stack}: ${reason}`));
        return;
      }
      try {
        resolve({ status: "offline_preview", stack: spec.stack, target: spec.target, resources: JSON.parse(stdout) as OfflineResource[] });
      } catch (error) {
        reject(new OfflinePreviewError(`unreadable offline preview for ${spec.stack}: ${(error as Error).message}`));
      }
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

/** Widest rendered input value; a longer object or list is shown one member a line (`template.volumes[0].name: ...`). */
const MAX_VALUE_WIDTH = 100;

/** The lines showing one input: on one line when it fits, else each member of a long object or list on its own. */
function inputLines(key: string, value: unknown, indent: string): string[] {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) return [];
  if (text.length <= MAX_VALUE_WIDTH || value === null || typeof value !== "object") {
    return [`${indent}${key}: ${text.length > MAX_VALUE_WIDTH ? text.slice(0, MAX_VALUE_WIDTH - 3) + "..." : text}`];
  }
  const members = Array.isArray(value) ? value.map((v, i) => [`${key}[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [`${key}.${k}`, v] as const);
  return members.flatMap(([memberKey, member]) => inputLines(memberKey, member, indent));
}

/**
 * Renders the resource graph as an indented tree, with the inputs that matter: the stack's explicit providers (with
 * their region, project, team or host) at the top, and beside each resource the provider it goes through.
 */
export function renderOfflinePreview(preview: OfflinePreview): string {
  const lines = [`offline preview of ${preview.stack} on ${preview.target} (Pulumi mocks; nothing was created)`];
  const children = (parent: string | null) => preview.resources.filter((r) => r.parent === parent && r.type !== "pulumi:pulumi:Stack");
  const walk = (parent: string | null, depth: number) => {
    for (const resource of children(parent)) {
      const via = resource.provider ? ` (provider: ${resource.provider})` : "";
      lines.push(`${"  ".repeat(depth + 1)}+ ${resource.type} ${resource.name}${via}`);
      for (const [key, value] of Object.entries(resource.inputs)) lines.push(...inputLines(key, value, "  ".repeat(depth + 3)));
      walk(resource.name, depth + 1);
    }
  };
  const stack = preview.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  walk(stack ? stack.name : null, 0);
  if (stack) walk(null, 0);
  lines.push(`${preview.resources.filter((r) => r.custom).length} resources in ${preview.resources.filter((r) => !r.custom).length} components`);
  return lines.join("\n");
}
