/**
 * The layers commands run on, loaded when a command first uses them. The command table, `--help` and argument errors
 * need none of them; `plan` needs the planner only; the automation layer (and through it the engine's and the state
 * backends' modules) loads for the commands that work on a workspace. Loading them all up front cost every command
 * a quarter of a second of CPU before it did anything.
 */

/** The automation layer: workspaces, stacks, deployments. */
export function automation(): Promise<typeof import("../automation/index")> {
  return import("../automation/index");
}

/** The planner: requests in, stack specs out. */
export function planner(): Promise<typeof import("../planner/index")> {
  return import("../planner/index");
}

/** Secret references: where each is expected, how it resolves. */
export function secretReferences(): Promise<typeof import("../secrets/index")> {
  return import("../secrets/index");
}

/** The Pulumi toolchain: finding, installing or building the pinned CLI. */
export function pulumiToolchain(): Promise<typeof import("../toolchain/pulumi")> {
  return import("../toolchain/pulumi");
}
