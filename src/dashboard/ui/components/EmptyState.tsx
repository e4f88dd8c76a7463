import type { ComponentChildren, JSX } from "preact";

/** Props of `EmptyState`: what is missing, and what the person can do next (a link or a command). */
export interface EmptyStateProps {
  readonly title: string;
  readonly children?: ComponentChildren;
}

/** Shown where a list is empty: says so in a sentence and what to do next, never a blank space. */
export function EmptyState({ title, children }: EmptyStateProps): JSX.Element {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children ? <div class="empty-next">{children}</div> : null}
    </div>
  );
}
