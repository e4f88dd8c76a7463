import path from "node:path";
import type { Technology } from "../catalog";
import type { BuildKind, BuildSpec } from "../spec";
import { decided, type Intent, type RuleResult } from "./result";

/** The technology that decides how the app builds: an SSR front end, else a back end or runtime, else a front end. */
export function primaryTechnology(technologies: readonly Technology[]): Technology | undefined {
  return (
    technologies.find((t) => t.kind === "frontend" && t.ssr) ??
    technologies.find((t) => t.kind === "backend" || t.kind === "runtime") ??
    technologies.find((t) => t.kind === "frontend")
  );
}

function buildKind(intent: Intent, primary: Technology | undefined): { kind: BuildKind; reason: string; warning?: string } {
  const { request, technologies } = intent;
  const runningAs = (runsAs: Technology["runs_as"]) => technologies.find((t) => t.runs_as === runsAs);
  const container = runningAs("container");
  if (request.deployment_type === "container" || container) {
    return { kind: "container", reason: request.deployment_type === "container" ? "the request asks for a container" : `${container!.name} runs in a container` };
  }
  if (request.deployment_type === "static_site") {
    return { kind: "static", reason: primary?.ssr ? `static_site: ${primary.name} is exported to static files` : "static_site: files are served as they are" };
  }
  const node = runningAs("node");
  if (node) return { kind: "node", reason: `${node.name} runs as a Node.js server` };
  const files = runningAs("static");
  if (files) return { kind: "static", reason: `${files.name} builds to static files` };
  return { kind: "node", reason: "the tech stack names no framework or runtime", warning: "tech_stack names no framework or runtime; planning a node app" };
}

/**
 * The build rule: how the app is built and run (static files, a Node.js server or a container), with the commands,
 * output directory, port and health check of its main technology from the catalog.
 */
export function chooseBuild(intent: Intent, baseDir: string): RuleResult<BuildSpec> {
  const primary = primaryTechnology(intent.technologies);
  const { kind, reason, warning } = buildKind(intent, primary);
  const steps = primary?.build ?? {};
  // An SSR framework deployed as a static site is exported, which writes to out/ whatever its usual output is.
  const staticExport = kind === "static" && primary?.ssr;
  const source = intent.request.source;
  const build: BuildSpec = {
    kind,
    framework: primary?.id ?? null,
    source: source ? path.resolve(baseDir, source) : null,
    install_command: steps.install ?? null,
    build_command: steps.build ?? null,
    output_dir: kind === "static" ? (staticExport ? "out" : (steps.output_dir ?? null)) : null,
    start_command: kind === "static" ? null : (steps.start ?? "npm start"),
    port: steps.port ?? (kind === "node" ? 3000 : 8080),
    health_check_path: steps.health_check_path ?? "/",
  };
  return decided(build, "build", `${kind}${primary ? ` (${primary.name})` : ""}`, reason, { warnings: warning ? [warning] : [] });
}
