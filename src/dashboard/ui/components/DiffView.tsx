import type { JSX } from "preact";

/** Props of `DiffView`: a unified diff as text. */
export interface DiffViewProps {
  readonly diff: string;
  readonly label: string;
}

/** The class of one diff line: added, removed, a hunk header, or context. */
function lineClass(line: string): string | undefined {
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("===") || line.startsWith("Index:")) return "diff-file";
  if (line.startsWith("@@")) return "diff-hunk";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-remove";
  return undefined;
}

/** A unified diff in a scrollable `<pre>`, each line coloured by its kind and marked by its own + or - too. */
export function DiffView({ diff, label }: DiffViewProps): JSX.Element {
  const lines = diff.replace(/\n$/, "").split("\n");
  return (
    <pre class="diff" aria-label={label} tabIndex={0}>
      {lines.map((line, index) => (
        <span key={index} class={lineClass(line)}>
          {line.length > 0 ? line : " "}
        </span>
      ))}
    </pre>
  );
}
