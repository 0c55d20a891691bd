import { describe, expect, it, vi } from "vitest";
import { LiveHub, type LiveEnvelope } from "./live";

class FakeSource {
  static made: FakeSource[] = [];
  readyState = 0;
  closed = false;
  listeners = new Map<string, Array<(event: MessageEvent) => void>>();
  onerror: ((event: Event) => void) | null = null;
  onopen: ((event: Event) => void) | null = null;
  constructor(readonly url: string) {
    FakeSource.made.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, seq: number, data: unknown) {
    const payload = JSON.stringify({ seq, type, occurred_at: "2026-11-27T00:00:00Z", data });
    for (const listener of this.listeners.get(type) ?? []) listener({ data: payload, lastEventId: String(seq) } as MessageEvent);
  }
}

function hub() {
  FakeSource.made = [];
  return new LiveHub((url) => new FakeSource(url), "/stream");
}

describe("LiveHub", () => {
  it("opens one stream for every subscriber and closes it with the last", () => {
    const live = hub();
    const offA = live.subscribe("post_created", () => undefined);
    const offB = live.subscribe("notification_created", () => undefined);
    expect(FakeSource.made).toHaveLength(1);
    offA();
    expect(FakeSource.made[0].closed).toBe(false);
    offB();
    expect(FakeSource.made[0].closed).toBe(true);
  });

  it("hands each item to its type's subscribers once, dropping repeats by seq", () => {
    const live = hub();
    const got: LiveEnvelope[] = [];
    const other = vi.fn();
    live.subscribe("post_created", (e) => got.push(e));
    live.subscribe("post_liked", other);
    const source = FakeSource.made[0];
    source.emit("post_created", 5, { id: "p1" });
    source.emit("post_created", 5, { id: "p1" });
    source.emit("post_created", 4, { id: "old" });
    source.emit("post_created", 6, { id: "p2" });
    expect(got.map((e) => e.data.id)).toEqual(["p1", "p2"]);
    expect(other).not.toHaveBeenCalled();
    expect(live.seq).toBe(6);
  });

  it("a failing handler does not stop the others", () => {
    const live = hub();
    const second = vi.fn();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    live.subscribe("post_created", () => {
      throw new Error("boom");
    });
    live.subscribe("post_created", second);
    FakeSource.made[0].emit("post_created", 1, { id: "p1" });
    expect(second).toHaveBeenCalledOnce();
    warn.mockRestore();
  });

  it("reopens after the server closed the stream, saying the last seq", () => {
    vi.useFakeTimers();
    try {
      const live = hub();
      live.subscribe("post_created", () => undefined);
      const first = FakeSource.made[0];
      first.emit("post_created", 41, { id: "p1" });
      first.readyState = 2;
      first.onerror?.(new Event("error"));
      expect(FakeSource.made).toHaveLength(1);
      vi.advanceTimersByTime(5000);
      expect(FakeSource.made).toHaveLength(2);
      expect(FakeSource.made[1].url).toBe("/stream?last_event_id=41");
    } finally {
      vi.useRealTimers();
    }
  });

  it("tells screens when the stream is back so they can refetch", () => {
    const live = hub();
    const back = vi.fn();
    live.subscribe("post_created", () => undefined);
    live.onReconnect(back);
    const source = FakeSource.made[0];
    source.onopen?.(new Event("open"));
    expect(back).not.toHaveBeenCalled();
    source.onopen?.(new Event("open"));
    expect(back).toHaveBeenCalledOnce();
  });

  it("tells screens to refetch when the user gained or lost a record", () => {
    const live = hub();
    const again = vi.fn();
    live.subscribe("post_created", () => undefined);
    live.onReconnect(again);
    const source = FakeSource.made[0];
    source.emit("post_created", 7, { id: "p1" });
    expect(again).not.toHaveBeenCalled();
    source.emit("record_access_changed", 8, { record: { type: "lead", id: "l1" } });
    expect(again).toHaveBeenCalledOnce();
    source.emit("record_access_changed", 8, { record: { type: "lead", id: "l1" } });
    expect(again).toHaveBeenCalledOnce(); // the same seq again is a repeat
  });

  it("starts from now again once nobody listened (e.g. after signing out)", () => {
    const live = hub();
    const off = live.subscribe("post_created", () => undefined);
    FakeSource.made[0].emit("post_created", 9, { id: "p1" });
    off();
    live.subscribe("notification_created", () => undefined);
    expect(FakeSource.made).toHaveLength(2);
    expect(FakeSource.made[1].url).toBe("/stream");
  });
});
