import type { StackSpec } from "./spec";

/** Fields left out of a spec's differences: they explain the others, so they change whenever those do. */
const DERIVED = new Set(["decisions", "next_steps"]);

const MAX_VALUE_LENGTH = 80;

/**
 * What differs between two specs of one stack, one line per changed value, by its path in the spec:
 * `version_name: p1 -> s2`, `resources.memory_mb: 512 -> 1024`, `services[1].provisioning: container -> managed`.
 * Lists of different lengths are shown whole (shortened); the decisions and next steps, which follow from the other
 * fields, are left out. Empty when the specs deploy the same.
 */
export function specChanges(before: StackSpec, after: StackSpec): string[] {
  const lines: string[] = [];
  for (const key of keysOf(before, after)) if (!DERIVED.has(key)) compare(key, (before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], lines);
  return lines;
}

function compare(at: string, a: unknown, b: unknown, lines: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => compare(`${at}[${i}]`, item, b[i], lines));
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key of keysOf(a, b)) compare(`${at}.${key}`, a[key], b[key], lines);
    return;
  }
  lines.push(`${at}: ${show(a)} -> ${show(b)}`);
}

function keysOf(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "none";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 3)}...` : text;
}
