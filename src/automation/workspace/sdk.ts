import { deferSdkTypeScript } from "./sdk-typescript";

/**
 * The Pulumi Automation API, loaded on first use. Loading the SDK costs most of a second, so the planner's own
 * checks, a rollback's switch to a warm release and read-only commands that need no engine run never pay for it.
 */
export function automationSdk(): typeof import("@pulumi/pulumi/automation") {
  deferSdkTypeScript();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
}
