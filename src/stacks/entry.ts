/**
 * Entry of the directory program (the workspace's `Pulumi.yaml`, run by `pulumi-language-nodejs`): the same program
 * the backend runs inline, with the spec read from the stack's config.
 */
import { programFor, specFromStackConfig } from "./program";

export = programFor(specFromStackConfig())();
