/** Stack config key under which the spec is stored as structured config. */
export const SPEC_CONFIG_KEY = "spec";
