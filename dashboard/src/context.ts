// What every view of a signed-in session gets from the app.

import type { Api } from './api';

export interface SessionContext {
  readonly api: Api;
  /** Aborted at sign-out: views register their listeners with it so that nothing outlives the session. */
  readonly signal: AbortSignal;
  /** A request failed: ends the session when the key was refused, otherwise says so until a later request succeeds. */
  failed(error: unknown): void;
  recovered(): void;
}

/** Runs a load at most once at a time; asks made while it runs fold into one more run after it. */
export class Coalescer {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly load: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.load();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}
