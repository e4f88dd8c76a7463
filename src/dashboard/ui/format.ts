/** How the dashboard words times and counts: the person's own time zone, and relative times like "3 min ago". */

/** "1 deployment", "2 deployments"; `many` when the plural is not the word plus "s". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "just now", "3 min ago", "2 h ago", "5 days ago" (or "in 3 min" for a time ahead); "" for a missing or bad time. */
export function timeAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((now - then) / 1000);
  const ahead = seconds < 0;
  const span = Math.abs(seconds);
  let words: string;
  if (span < 45) return "just now";
  else if (span < 60 * 60) words = `${Math.max(1, Math.round(span / 60))} min`;
  else if (span < 60 * 60 * 24) words = `${Math.round(span / 3600)} h`;
  else if (span < 60 * 60 * 24 * 60) words = plural(Math.round(span / 86_400), "day");
  else if (span < 60 * 60 * 24 * 365) words = plural(Math.round(span / (86_400 * 30)), "month");
  else words = plural(Math.round(span / (86_400 * 365)), "year");
  return ahead ? `in ${words}` : `${words} ago`;
}

/** The time in the person's own time zone and locale, e.g. "6 Dec 2026, 14:05"; "" for a missing or bad time. */
export function localTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone }).format(date);
}

/** A digest shortened for display ("sha256:1a2b3c4d5e6f"), the full value kept for a title. */
export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return "";
  const [algorithm, hex] = digest.includes(":") ? digest.split(":", 2) : ["", digest];
  return `${algorithm ? `${algorithm}:` : ""}${(hex ?? "").slice(0, 12)}`;
}

/** A share between 0 and 1 as a percentage with at most one decimal ("2.5%"). */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return "–";
  return `${Math.round(share * 1000) / 10}%`;
}

/** A URL from the API as a link target when it is http or https; null otherwise, so a hostile value cannot run script. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}
