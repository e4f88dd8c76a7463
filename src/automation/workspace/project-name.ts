/**
 * The Pulumi project name, apart from the workspace that uses it, so the backends and the stack lock that live below
 * the workspace can name the project's stacks without importing it.
 */

/** The Pulumi project every stack belongs to. */
export const PROJECT_NAME = "deployment-planner";
