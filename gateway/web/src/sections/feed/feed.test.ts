import { describe, expect, it } from "vitest";
import { formatSize, insertMention, mentionAt } from "./mentions";
import { applyLive, countComment, emptyState, sortPosts, upsertPosts, type Scope } from "./store";
import { relativeTime } from "./time";
import { defaultChannel } from "./channelDefault";
import type { Channel, Post } from "./types";

function post(id: string, fields: Partial<Post> = {}): Post {
  return {
    id,
    channel_id: "c1",
    related: null,
    text: id,
    html: `<p>${id}</p>`,
    author_id: "u2",
    kind: "user",
    event_type: null,
    mentions: [],
    attachments: [],
    like_count: 0,
    liked_by_me: false,
    comment_count: 0,
    is_pinned: false,
    created_at: `2026-11-27T01:00:0${id.slice(-1)}Z`,
    edited_at: null,
    version: 1,
    ...fields,
  };
}

const live = (type: string, data: unknown, seq = 1) => ({ seq, type, occurred_at: "", data: data as Record<string, unknown> });
const channel: Scope = { kind: "channel", channelId: "c1" };

describe("mentionAt", () => {
  it("finds the handle being typed at the caret", () => {
    expect(mentionAt("hello @jo", 9)).toEqual({ start: 6, end: 9, query: "jo" });
    expect(mentionAt("@", 1)).toEqual({ start: 0, end: 1, query: "" });
    expect(mentionAt("(@anna.k", 8)).toEqual({ start: 1, end: 8, query: "anna.k" });
    expect(mentionAt("привет @оля", 11)).toEqual({ start: 7, end: 11, query: "оля" });
  });

  it("is not a mention inside an email address, after a space, or far from the caret", () => {
    expect(mentionAt("mail me at bob@example.com", 26)).toBeNull();
    expect(mentionAt("@jo and more", 12)).toBeNull();
    expect(mentionAt("no at sign", 5)).toBeNull();
    expect(mentionAt("@jo ", 4)).toBeNull();
  });

  it("only looks up to the caret", () => {
    expect(mentionAt("hi @johnny there", 6)).toEqual({ start: 3, end: 6, query: "jo" });
  });
});

describe("insertMention", () => {
  it("replaces what was typed with the handle and a space", () => {
    const text = "hi @jo";
    const result = insertMention(text, mentionAt(text, 6)!, "john.smith");
    expect(result).toEqual({ text: "hi @john.smith ", caret: 15 });
  });

  it("keeps the text after the caret and does not double the space", () => {
    const text = "hi @jo there";
    const result = insertMention(text, mentionAt(text, 6)!, "john");
    expect(result.text).toBe("hi @john there");
    expect(result.caret).toBe(9);
  });
});

describe("formatSize", () => {
  it("reads like people write sizes", () => {
    expect(formatSize(900)).toBe("900 B");
    expect(formatSize(12.5 * 1024)).toBe("12.5 KB");
    expect(formatSize(11 * 1024 * 1024)).toBe("11 MB");
  });
});

describe("relativeTime", () => {
  const now = Date.parse("2026-11-27T12:00:00Z");
  it("says how long ago in the user's language", () => {
    expect(relativeTime("2026-11-27T11:59:50Z", "en", now)).toBe("now");
    expect(relativeTime("2026-11-27T11:55:00Z", "en", now)).toBe("5 minutes ago");
    expect(relativeTime("2026-11-27T09:00:00Z", "en", now)).toBe("3 hours ago");
    expect(relativeTime("2026-11-26T12:00:00Z", "en", now)).toBe("yesterday");
    expect(relativeTime("2026-11-27T11:55:00Z", "ru", now)).toBe("5 минут назад");
  });
  it("is empty for what is not a time", () => {
    expect(relativeTime("not a date", "en", now)).toBe("");
  });
});

describe("live posts", () => {
  it("adds a new post once, newest first, whatever the number of echoes", () => {
    let state = emptyState([post("p1")]);
    state = applyLive(state, live("post_created", post("p2")), channel, "u1");
    state = applyLive(state, live("post_created", post("p2")), channel, "u1");
    expect(state.posts.map((p) => p.id)).toEqual(["p2", "p1"]);
  });

  it("ignores posts that belong elsewhere", () => {
    const state = applyLive(emptyState(), live("post_created", post("p2", { channel_id: "c9" })), channel, "u1");
    expect(state.posts).toEqual([]);
    const record: Scope = { kind: "record", type: "opportunity", id: "o1" };
    const there = post("p3", { channel_id: null, related: { type: "opportunity", id: "o1" } });
    expect(applyLive(emptyState(), live("post_created", there), record, "u1").posts).toHaveLength(1);
    expect(applyLive(emptyState(), live("post_created", post("p4")), record, "u1").posts).toHaveLength(0);
  });

  it("my feed takes my posts, posts mentioning me and what I follow", () => {
    const feed: Scope = { kind: "feed", userId: "u1", follows: (p) => p.channel_id === "followed" };
    const mine = post("p1", { author_id: "u1", channel_id: "x" });
    const mentioning = post("p2", { channel_id: "x", mentions: [{ type: "user", id: "u1", handle: "me" }] });
    const followed = post("p3", { channel_id: "followed" });
    const other = post("p4", { channel_id: "x" });
    let state = emptyState();
    for (const p of [mine, mentioning, followed, other]) state = applyLive(state, live("post_created", p), feed, "u1");
    expect(state.posts.map((p) => p.id).sort()).toEqual(["p1", "p2", "p3"]);
  });

  it("keeps pinned posts on top in a channel", () => {
    const sorted = sortPosts([post("p1", { is_pinned: true }), post("p3"), post("p2")], channel);
    expect(sorted.map((p) => p.id)).toEqual(["p1", "p3", "p2"]);
  });

  it("edits and deletes in place, keeping whether I liked it", () => {
    let state = emptyState([post("p1", { liked_by_me: true, like_count: 1 })]);
    state = applyLive(state, live("post_updated", post("p1", { text: "changed", like_count: 1 })), channel, "u1");
    expect(state.posts[0]).toMatchObject({ text: "changed", liked_by_me: true });
    state = applyLive(state, live("post_updated", post("p9")), channel, "u1");
    expect(state.posts.map((p) => p.id)).toEqual(["p1"]);
    state = applyLive(state, live("post_deleted", { id: "p1" }), channel, "u1");
    expect(state.posts).toEqual([]);
  });

  it("counts a comment once though it comes back live", () => {
    let state = emptyState([post("p1")]);
    const comment = { id: "k1", post_id: "p1", text: "hi", html: "hi", author_id: "u1", mentions: [], created_at: "", edited_at: null, version: 1 };
    state = countComment(state, comment);
    state = applyLive(state, live("comment_added", comment), channel, "u1");
    expect(state.posts[0].comment_count).toBe(1);
    state = applyLive(state, live("comment_added", { ...comment, id: "k2" }), channel, "u1");
    expect(state.posts[0].comment_count).toBe(2);
  });

  it("likes: the server's count wins; my own echo does not count twice", () => {
    let state = emptyState([post("p1", { like_count: 1, liked_by_me: true })]);
    state = applyLive(state, live("post_liked", { post_id: "p1", user_id: "u1" }), channel, "u1");
    expect(state.posts[0]).toMatchObject({ like_count: 1, liked_by_me: true });
    state = applyLive(state, live("post_liked", { post_id: "p1", user_id: "u2", like_count: 2 }), channel, "u1");
    expect(state.posts[0]).toMatchObject({ like_count: 2, liked_by_me: true });
    state = applyLive(state, live("post_unliked", { post_id: "p1", user_id: "u1", like_count: 1 }), channel, "u1");
    expect(state.posts[0]).toMatchObject({ like_count: 1, liked_by_me: false });
  });

  it("upsert merges the server's copy over what is shown", () => {
    const state = upsertPosts(emptyState([post("p1")]), [post("p1", { like_count: 3 }), post("p2")], channel);
    expect(state.posts.map((p) => [p.id, p.like_count])).toEqual([
      ["p2", 0],
      ["p1", 3],
    ]);
  });
});

describe("the composer's channel", () => {
  const channel = (id: string, name: string, is_private = false) =>
    ({ id, name, is_private, description: null, admin_ids: [], created_by: null, created_at: "", version: 1 }) as Channel;
  const channels = [channel("a", "Announcements"), channel("b", "Board", true), channel("g", "General"), channel("s", "Sales")];

  it("is the one posted to last, else General, else the first open one", () => {
    expect(defaultChannel(channels, "s")).toBe("s");
    expect(defaultChannel(channels, undefined)).toBe("g");
    expect(defaultChannel(channels, "gone")).toBe("g");
    expect(defaultChannel([channel("b", "Board", true), channel("o", "Общий")], undefined)).toBe("o");
    expect(defaultChannel([channel("b", "Board", true), channel("x", "Ideas")], undefined)).toBe("x");
    expect(defaultChannel([], undefined)).toBeNull();
  });
});
