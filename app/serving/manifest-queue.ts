import { backoffDelay } from '../../lib/backoff.ts';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * How applying a bot's manifest went: `served` all of it, `failed` some model (retried with
 * backoff until it loads or the next change arrives), `rejected` a file that retrying cannot fix,
 * `removed` the manifest is gone.
 */
export type ApplyOutcome = 'served' | 'failed' | 'rejected' | 'removed';

interface Lane {
  queue: Promise<void>;
  retryTimer: NodeJS.Timeout | null;
  /** failed applications in a row */
  failures: number;
  /** content of the manifest whose application failed, to be retried */
  failedContent: string | null;
}

/**
 * Applies each bot's manifest changes one after another (a change waits for the one before), and
 * retries a failed application on a timer, 1 s, 2 s, 4 s … at most 30 s apart; a new change of the
 * bot's manifest replaces the pending retry.
 */
export class ManifestQueue {
  private readonly lanes = new Map<string, Lane>();
  private closed = false;

  constructor(
    /** applies `content` (null: the manifest was removed) to the bot */
    private readonly applyTo: (model: string, content: string | null) => Promise<ApplyOutcome>,
  ) {}

  /** Queues a change of the bot's manifest; resolves once it has been applied. */
  enqueue(model: string, content: string | null): Promise<void> {
    let lane = this.lanes.get(model);
    if (!lane) {
      lane = { queue: Promise.resolve(), retryTimer: null, failures: 0, failedContent: null };
      this.lanes.set(model, lane);
    }
    if (lane.retryTimer) clearTimeout(lane.retryTimer);
    lane.retryTimer = null;
    return this.run(lane, model, content);
  }

  private run(lane: Lane, model: string, content: string | null): Promise<void> {
    lane.queue = lane.queue.then(async () => {
      const outcome = await this.applyTo(model, content);
      if (outcome === 'served' || outcome === 'removed') {
        lane.failures = 0;
        lane.failedContent = null;
      } else if (outcome === 'failed' && content !== null) {
        lane.failedContent = content;
        this.scheduleRetry(lane, model);
      }
    });
    return lane.queue;
  }

  private scheduleRetry(lane: Lane, model: string): void {
    if (this.closed) return;
    lane.failures++;
    lane.retryTimer = setTimeout(
      () => {
        lane.retryTimer = null;
        if (lane.failedContent !== null) void this.run(lane, model, lane.failedContent);
      },
      backoffDelay(lane.failures, RETRY_MIN_MS, RETRY_MAX_MS),
    );
    lane.retryTimer.unref();
  }

  /** Resolves once every queued application has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((l) => l.queue));
  }

  /** Stops retrying and waits for the applications already queued. */
  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes.values()) if (lane.retryTimer) clearTimeout(lane.retryTimer);
    await this.settled();
  }
}
