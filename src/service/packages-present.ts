import { requireServicePackages, SERVICE_PART_PACKAGES } from "../automation/index";

// Loaded first by the service's entry point: a missing optional package is then reported by name with its install
// command, instead of as a bare "Cannot find module" from deep inside the HTTP framework. The embedded PostgreSQL's
// package is checked only when it is started (a DATABASE_URL needs none).
requireServicePackages(SERVICE_PART_PACKAGES.api, "deployment-planner/service");
