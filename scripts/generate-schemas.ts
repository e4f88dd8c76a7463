/** Writes the JSON Schemas of the request and the stack spec into schemas/ from the zod schemas. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { publishedSchemas, SCHEMA_FILES, schemaFileText } from "../src/planner/json-schema";

const root = path.resolve(__dirname, "..");
const schemas = publishedSchemas();
for (const [name, file] of Object.entries(SCHEMA_FILES) as [keyof typeof SCHEMA_FILES, string][]) {
  writeFileSync(path.join(root, file), schemaFileText(schemas[name]));
  console.log(`wrote ${file}`);
}
