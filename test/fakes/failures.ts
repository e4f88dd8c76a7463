import type http from "node:http";
import type { AddressInfo } from "node:net";

/** An injected answer: an HTTP status, or `timeout` for no answer at all (the client's timeout ends the call). */
export type InjectedAnswer = number | "timeout";

/** How an injected answer is given. */
export interface InjectOptions {
  /** Headers of the injected answer (`retry-after`). */
  readonly headers?: Record<string, string>;
  /**
   * Carry the request out first and give the injected answer instead of the real one: the case in which a client
   * cannot tell whether its request did anything. @default false (the request is refused before anything is done)
   */
  readonly afterActing?: boolean;
}

/** One planned failure: what to answer, how many more times, and to which calls. */
export interface PlannedFailure extends InjectOptions {
  readonly answer: InjectedAnswer;
  remaining: number;
  readonly match?: string;
}

/** The failures a fake API was told to give, taken in the order they were planned. */
export class FailureQueue {
  private readonly planned: PlannedFailure[] = [];

  constructor(private readonly matches: (match: string, call: string) => boolean) {}

  /** Plans `count` answers for the calls that `match` selects (all calls when it is absent). */
  add(answer: InjectedAnswer, count: number, match: string | undefined, options: InjectOptions = {}): void {
    this.planned.push({ answer, remaining: count, match, ...options });
  }

  /** The failure planned for this call, counted as used, or undefined. */
  take(call: string): PlannedFailure | undefined {
    const failure = this.planned.find((f) => f.remaining > 0 && (f.match === undefined || this.matches(f.match, call)));
    if (failure) failure.remaining -= 1;
    return failure;
  }

  /** Forgets every failure not given yet. */
  clear(): void {
    this.planned.length = 0;
  }
}

/** Gives an injected answer: the status with a JSON body, or nothing at all for `timeout`. */
export function answerInjected(res: http.ServerResponse, failure: PlannedFailure, body: unknown): void {
  // Holding the response open is the timeout; the client aborts and the fake's `close` ends the connection.
  if (failure.answer === "timeout") return;
  res.writeHead(failure.answer, { "content-type": "application/json", ...failure.headers });
  res.end(JSON.stringify(body));
}

/** What every fake offers besides its data: injected failures, and closing. */
export interface FakeControls {
  /**
   * Answers the next `count` calls that `match` selects (all calls when absent) with `answer` (a status, or `timeout`
   * for no answer) instead of the real answer; with `afterActing` the call is carried out first.
   */
  failNext(answer: InjectedAnswer, count?: number, match?: string, options?: InjectOptions): void;
  /** Forgets the injected failures not given yet. */
  clearFailures(): void;
  close(): Promise<void>;
}

/** Starts a fake's server on a free loopback port and returns its origin and the controls over it. */
export async function serveFake(server: http.Server, failures: FailureQueue): Promise<{ origin: string; controls: FakeControls }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const controls: FakeControls = {
    failNext: (answer, count = 1, match, options) => failures.add(answer, count, match, options),
    clearFailures: () => failures.clear(),
    close: () =>
      new Promise((resolve) => {
        // A response held open for a timeout would keep the server from closing.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return { origin: `http://127.0.0.1:${port}`, controls };
}
