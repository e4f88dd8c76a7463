/**
 * Planner throughput: plans per second over the example requests, with the catalog loaded once, against a baseline
 * measured in the same run (parsing the same documents against the request schema only, no rules).
 *
 *   npx tsx bench/plan.ts [seconds per measurement]
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadCatalog } from "../src/planner/catalog";
import { parseRequestText } from "../src/planner/input";
import { plan } from "../src/planner/plan";
import { requestSchema } from "../src/planner/request";

const seconds = Number(process.argv[2] ?? 2);
const dir = path.resolve(__dirname, "..", "examples", "requests");
const documents = readdirSync(dir).map((file) => {
  const parsed = parseRequestText(readFileSync(path.join(dir, file), "utf8"));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.failure.reason}`);
  return parsed.request;
});
const catalog = loadCatalog();

function rate(work: (document: unknown) => unknown): number {
  // Warm up the JIT before measuring.
  for (let i = 0; i < 200; i += 1) work(documents[i % documents.length]);
  let count = 0;
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() < end) {
    for (const document of documents) work(document);
    count += documents.length;
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

const baseline = rate((document) => requestSchema.safeParse(document));
const planned = rate((document) => plan(document, { baseDir: dir, catalog }));
console.log(`examples: ${documents.length}`);
console.log(`baseline (schema parse only): ${baseline.toFixed(0)} documents/s`);
console.log(`plan: ${planned.toFixed(0)} plans/s`);
console.log(`ratio plan / baseline: ${(planned / baseline).toFixed(2)}`);
