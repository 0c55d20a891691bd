// Live updates: ONE EventSource on /api/v1/events/stream shared by every screen.
// Screens call subscribe(type, handler); the stream opens with the first subscriber
// and closes with the last. EventSource reconnects by itself and sends Last-Event-ID;
// when the server ends it for good (e.g. a 401) we open it again after a pause, saying
// where we were with ?last_event_id=. Items are handed out once each, by seq.
// `record_access_changed` (a record was shared with the user or taken back) makes the
// screens read their lists again, as after a reconnect: the record's posts come or go.

export interface LiveEnvelope<T = Record<string, unknown>> {
  seq: number;
  type: string;
  occurred_at: string;
  data: T;
}

export type LiveHandler = (envelope: LiveEnvelope) => void;

export const LIVE_TYPES = [
  "post_created",
  "post_updated",
  "post_deleted",
  "comment_added",
  "comment_deleted",
  "post_liked",
  "post_unliked",
  "notification_created",
  "notifications_read",
  "record_access_changed",
] as const;

/** The item that says the user gained or lost a record (docs/api.md, Live updates). */
export const ACCESS_CHANGED = "record_access_changed";

export const STREAM_URL = "/api/v1/events/stream";
const REOPEN_MS = 5000;

interface SourceLike {
  readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
  onopen: ((event: Event) => void) | null;
}

type SourceFactory = (url: string) => SourceLike;

const defaultFactory: SourceFactory = (url) => new EventSource(url, { withCredentials: true }) as unknown as SourceLike;

/** The hub behind subscribe(); a class so tests can drive one with a fake EventSource. */
export class LiveHub {
  private handlers = new Map<string, Set<LiveHandler>>();
  private openHandlers = new Set<() => void>();
  private source: SourceLike | null = null;
  private lastSeq = 0;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private connectedOnce = false;

  constructor(
    private readonly factory: SourceFactory = defaultFactory,
    private readonly url: string = STREAM_URL,
  ) {}

  subscribe(type: string, handler: LiveHandler): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler);
    this.ensureOpen();
    return () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(type);
      this.closeIfIdle();
    };
  }

  /** Called when the stream (re)connects after having been down, or the user's access to
   * a record changed: screens may refetch. */
  onReconnect(handler: () => void): () => void {
    this.openHandlers.add(handler);
    return () => {
      this.openHandlers.delete(handler);
    };
  }

  /** The last seq handed out (0 before any). */
  get seq(): number {
    return this.lastSeq;
  }

  /** Hand one message to the subscribers of its type (duplicates by seq are dropped). */
  deliver(type: string, raw: string, lastEventId?: string): void {
    let envelope: LiveEnvelope;
    try {
      envelope = JSON.parse(raw) as LiveEnvelope;
    } catch {
      return;
    }
    if (!envelope || typeof envelope !== "object") return;
    const seq = Number(envelope.seq ?? lastEventId);
    if (Number.isFinite(seq) && seq > 0) {
      if (seq <= this.lastSeq) return;
      this.lastSeq = seq;
    }
    const handlers = this.handlers.get(envelope.type ?? type) ?? this.handlers.get(type);
    handlers?.forEach((handler) => {
      try {
        handler(envelope);
      } catch (error) {
        console.warn("live handler failed", error);
      }
    });
    if ((envelope.type ?? type) === ACCESS_CHANGED) this.openHandlers.forEach((handler) => handler());
  }

  /** Close the stream and forget everything (signing out). */
  reset(): void {
    this.handlers.clear();
    this.openHandlers.clear();
    this.lastSeq = 0;
    this.connectedOnce = false;
    this.shutdown();
  }

  private ensureOpen(): void {
    if (this.source || this.reopenTimer) return;
    const url = this.lastSeq > 0 ? `${this.url}?last_event_id=${this.lastSeq}` : this.url;
    let source: SourceLike;
    try {
      source = this.factory(url);
    } catch {
      return;
    }
    this.source = source;
    for (const type of LIVE_TYPES) {
      source.addEventListener(type, (event: MessageEvent) => this.deliver(type, String(event.data), event.lastEventId));
    }
    source.onopen = () => {
      if (this.connectedOnce) this.openHandlers.forEach((handler) => handler());
      this.connectedOnce = true;
    };
    source.onerror = () => {
      // CONNECTING (0): the browser retries by itself. CLOSED (2): it gave up; we try later.
      if (source.readyState === 2 && this.source === source) {
        this.source = null;
        source.close();
        if (this.handlers.size > 0) {
          this.reopenTimer = setTimeout(() => {
            this.reopenTimer = null;
            if (this.handlers.size > 0) this.ensureOpen();
          }, REOPEN_MS);
        }
      }
    };
  }

  private closeIfIdle(): void {
    if (this.handlers.size > 0) return;
    // Nobody listens (signed out, or no live screen): the next stream starts from "now".
    this.shutdown();
    this.lastSeq = 0;
    this.connectedOnce = false;
  }

  private shutdown(): void {
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.source?.close();
    this.source = null;
  }
}

let hub: LiveHub | null = null;

function shared(): LiveHub {
  if (!hub) hub = new LiveHub();
  return hub;
}

/** Listen for one type of live item; returns the unsubscribe function. */
export function subscribe(type: string, handler: LiveHandler): () => void {
  if (typeof EventSource === "undefined") return () => undefined;
  return shared().subscribe(type, handler);
}

/** Run `handler` when the stream comes back after being down (to refetch what may be missed). */
export function onReconnect(handler: () => void): () => void {
  return shared().onReconnect(handler);
}

/** Forget the stream (on sign-out). */
export function resetLive(): void {
  hub?.reset();
}
