import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Kube } from './kube.ts';
import { mergePatch } from './kube.ts';

export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string };
}

export type EventType = 'Normal' | 'Warning';

const SERIES_WINDOW_MS = 10 * 60_000;
const CACHE_LIMIT = 2000;

/**
 * Records Events (what `kubectl describe` and `kubectl events` show) through core/v1, the API that
 * carries firstTimestamp, lastTimestamp and count, which `kubectl get events --sort-by=.lastTimestamp`
 * sorts on (events.k8s.io/v1 refuses those fields on create). The same event repeated within ten
 * minutes raises one Event's count and lastTimestamp instead of adding another.
 * Recording never fails a reconcile: errors are logged.
 */
export class EventRecorder {
  private readonly recent = new Map<string, { name: string; count: number; at: number }>();

  constructor(
    private readonly opts: {
      kube: Kube;
      controller: string;
      instance: string;
      log: Logger;
      onRecorded?: (type: EventType, reason: string) => void;
    },
  ) {}

  normal(subject: EventSubject, reason: string, action: string, note: string): Promise<void> {
    return this.record('Normal', subject, reason, action, note);
  }

  warning(subject: EventSubject, reason: string, action: string, note: string): Promise<void> {
    return this.record('Warning', subject, reason, action, note);
  }

  async record(
    type: EventType,
    subject: EventSubject,
    reason: string,
    action: string,
    note: string,
  ): Promise<void> {
    const { kube, controller, instance, log } = this.opts;
    const namespace = subject.metadata.namespace;
    const text = note.length > 1000 ? `${note.slice(0, 997)}...` : note;
    const key = `${subject.metadata.uid}\u0000${type}\u0000${reason}\u0000${text}`;
    const now = Date.now();
    this.opts.onRecorded?.(type, reason);
    log.info(
      { event: reason, type, object: `${subject.kind}/${subject.metadata.name}`, note: text },
      'event',
    );
    try {
      const seen = this.recent.get(key);
      if (seen && now - seen.at < SERIES_WINDOW_MS) {
        seen.count++;
        seen.at = now;
        await kube.core.patchNamespacedEvent(
          {
            namespace,
            name: seen.name,
            body: { count: seen.count, lastTimestamp: new Date(now).toISOString() },
          },
          mergePatch(),
        );
        return;
      }
      const name = `${subject.metadata.name}.${now.toString(16)}${randomBytes(3).toString('hex')}`;
      await kube.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          firstTimestamp: new Date(now),
          lastTimestamp: new Date(now),
          count: 1,
          source: { component: controller },
          reportingComponent: controller,
          reportingInstance: instance.slice(0, 128),
          action,
          reason,
          message: text,
          type,
          involvedObject: {
            apiVersion: subject.apiVersion,
            kind: subject.kind,
            name: subject.metadata.name,
            namespace,
            uid: subject.metadata.uid,
          },
        },
      });
      this.recent.set(key, { name, count: 1, at: now });
      if (this.recent.size > CACHE_LIMIT) this.recent.delete(this.recent.keys().next().value!);
    } catch (err) {
      this.recent.delete(key);
      log.warn({ err: (err as Error).message, reason }, 'could not record an event');
    }
  }
}
