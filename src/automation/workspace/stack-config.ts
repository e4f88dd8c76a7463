import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { explainSpec, stackSpecSchema, type StackSpec } from "../../planner/index";
import { SPEC_CONFIG_KEY } from "../../stacks/config-keys";
import { PROJECT_NAME } from "./workspace";

/** Fully qualified config key of the spec in a stack file. */
export const SPEC_CONFIG_FQ_KEY = `${PROJECT_NAME}:${SPEC_CONFIG_KEY}`;

/** Path of a stack's config file in a workspace. */
export function stackConfigPath(stacksDir: string, stack: string): string {
  return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/**
 * The stack file's text now (empty when there is none) and as `writeStackSpec` would write it for `spec`, for a
 * reviewable diff before anything changes.
 */
export async function renderStackSpec(stacksDir: string, spec: StackSpec): Promise<{ before: string; after: string }> {
  const file = stackConfigPath(stacksDir, spec.stack);
  let before = "";
  let document: YAML.Document;
  try {
    before = await readFile(file, "utf8");
    document = YAML.parseDocument(before);
    if (document.errors.length > 0) throw document.errors[0];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    document = new YAML.Document({});
  }
  if (!YAML.isMap(document.contents)) document.contents = document.createNode({}) as YAML.YAMLMap;
  const config = document.get("config");
  if (!YAML.isMap(config)) document.set("config", document.createNode({}));
  // A key that older versions wrote with the workspace's absolute state directory; the program no longer reads it.
  document.deleteIn(["config", `${PROJECT_NAME}:stateDir`]);
  // Whatever path wrote the spec (a plan, a promotion, a rollback, a stack file edited by hand and synced), the file's
  // decisions and next steps explain the fields beside them.
  document.setIn(["config", SPEC_CONFIG_FQ_KEY], document.createNode(stackSpecSchema.parse(portableSpec(explainSpec(spec), path.dirname(stacksDir)))));
  return { before, after: document.toString({ lineWidth: 0 }) };
}

/**
 * Writes the spec as structured config into the stack's file, keeping everything else Pulumi put there (the
 * secrets provider's salt, other config), so the file reads well in a pull request and `pulumi preview` uses it.
 * Paths are written relative to the workspace (the stacks directory's parent), so the file holds no machine path.
 */
export async function writeStackSpec(stacksDir: string, spec: StackSpec): Promise<string> {
  const file = stackConfigPath(stacksDir, spec.stack);
  const { after } = await renderStackSpec(stacksDir, spec);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, after);
  await rename(temp, file);
  return file;
}

/** Reads the spec from a stack's file, or null when the file or the key is absent. */
export async function readStackSpec(stacksDir: string, stack: string): Promise<StackSpec | null> {
  let text: string;
  try {
    text = await readFile(stackConfigPath(stacksDir, stack), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const parsed = YAML.parse(text) as { config?: Record<string, unknown> } | null;
  const raw = parsed?.config?.[SPEC_CONFIG_FQ_KEY];
  if (raw === undefined) return null;
  return stackSpecSchema.parse(raw);
}

/** Parses the spec out of an update's recorded config (the history keeps each update's config). */
export function specFromHistoryConfig(config: Record<string, { value: string; secret?: boolean }> | undefined): StackSpec | null {
  const entry = config?.[SPEC_CONFIG_FQ_KEY];
  if (!entry) return null;
  try {
    const parsed = stackSpecSchema.safeParse(JSON.parse(entry.value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The spec with its source directory relative to the workspace, as stack files and the history record it. */
export function portableSpec(spec: StackSpec, workspaceDir: string): StackSpec {
  const source = spec.build.source;
  if (!source || !path.isAbsolute(source)) return spec;
  return { ...spec, build: { ...spec.build, source: path.relative(workspaceDir, source).split(path.sep).join("/") || "." } };
}
