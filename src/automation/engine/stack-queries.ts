import type { StackSpec } from "../../planner/spec";
import { plainOutputs } from "./events";
import {
  classifyEngineError,
  type OperationOptions,
  type StackOutputs,
  readStackSpec,
  type PlannerWorkspace,
} from "../workspace/index";
import { existingStack } from "./stack-handles";

/** The stack's current outputs. */
export async function stackOutputs(stackName: string, options: Pick<OperationOptions, "workspace">): Promise<StackOutputs> {
  const stack = await existingStack(options.workspace, stackName);
  try {
    return plainOutputs(await stack.outputs());
  } catch (error) {
    throw classifyEngineError(error, stackName, false);
  }
}

/** The spec currently recorded in a stack's config file. */
export function currentStackSpec(workspace: PlannerWorkspace, stackName: string): Promise<StackSpec | null> {
  return readStackSpec(workspace.stacksDir, stackName);
}
