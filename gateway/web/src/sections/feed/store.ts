// How live items change a list of posts on screen: pure, so it is tested alone.
import type { LiveEnvelope } from "../../core/live";
import type { Comment, Post } from "./types";

/** Which posts a list shows. */
export type Scope =
  | { kind: "feed"; userId: string; follows: (post: Post) => boolean }
  | { kind: "channel"; channelId: string }
  | { kind: "record"; type: string; id: string };

export interface PostsState {
  posts: Post[];
  /** Comment ids already counted (a live echo of one's own comment counts once). */
  comments: Set<string>;
}

export function emptyState(posts: Post[] = []): PostsState {
  return { posts, comments: new Set() };
}

/** Whether a new post belongs in the list. */
export function inScope(post: Post, scope: Scope): boolean {
  switch (scope.kind) {
    case "channel":
      return post.channel_id === scope.channelId;
    case "record":
      return post.related?.type === scope.type && post.related?.id === scope.id;
    case "feed":
      return (
        post.author_id === scope.userId ||
        post.mentions.some((m) => m.type === "user" && m.id === scope.userId) ||
        scope.follows(post)
      );
  }
}

/** Pinned first in a channel, then newest first. */
export function sortPosts(posts: Post[], scope: Scope): Post[] {
  const pinned = scope.kind === "channel";
  return [...posts].sort((a, b) => {
    if (pinned && a.is_pinned !== b.is_pinned) return a.is_pinned ? -1 : 1;
    return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id.localeCompare(a.id);
  });
}

/** Add or replace posts by id (what the server says wins; my own like stays mine). */
export function upsertPosts(state: PostsState, incoming: Post[], scope: Scope): PostsState {
  const byId = new Map(state.posts.map((p) => [p.id, p]));
  for (const post of incoming) {
    const known = byId.get(post.id);
    byId.set(post.id, known ? { ...known, ...post } : post);
  }
  return { ...state, posts: sortPosts([...byId.values()], scope) };
}

function patchPost(state: PostsState, id: unknown, change: (post: Post) => Post): PostsState {
  if (typeof id !== "string" || !state.posts.some((p) => p.id === id)) return state;
  return { ...state, posts: state.posts.map((p) => (p.id === id ? change(p) : p)) };
}

/** A comment I added myself: count it now, and not again when its live echo arrives. */
export function countComment(state: PostsState, comment: Comment): PostsState {
  if (state.comments.has(comment.id)) return state;
  const comments = new Set(state.comments).add(comment.id);
  return patchPost({ ...state, comments }, comment.post_id, (p) => ({ ...p, comment_count: p.comment_count + 1 }));
}

/** Apply one live item. `me` is the signed-in user's id. */
export function applyLive(state: PostsState, envelope: LiveEnvelope, scope: Scope, me: string): PostsState {
  const data = (envelope.data ?? {}) as Record<string, unknown>;
  switch (envelope.type) {
    case "post_created": {
      const post = data as unknown as Post;
      if (typeof post.id !== "string" || !inScope(post, scope)) return state;
      const known = state.posts.find((p) => p.id === post.id);
      // The stream's copy is nobody's in particular: whether I liked it is mine to keep.
      const mine = { ...post, liked_by_me: known?.liked_by_me ?? false };
      return upsertPosts(state, [mine], scope);
    }
    case "post_updated": {
      const post = data as unknown as Post;
      if (typeof post.id !== "string") return state;
      const known = state.posts.find((p) => p.id === post.id);
      if (!known) return state;
      return upsertPosts(state, [{ ...post, liked_by_me: known.liked_by_me }], scope);
    }
    case "post_deleted": {
      const id = data.id ?? data.post_id;
      if (!state.posts.some((p) => p.id === id)) return state;
      return { ...state, posts: state.posts.filter((p) => p.id !== id) };
    }
    case "comment_added": {
      const comment = data as unknown as Comment;
      if (typeof comment.id !== "string" || state.comments.has(comment.id)) return state;
      const comments = new Set(state.comments).add(comment.id);
      const count = typeof data.comment_count === "number" ? data.comment_count : null;
      return patchPost({ ...state, comments }, comment.post_id, (p) => ({
        ...p,
        comment_count: count ?? p.comment_count + 1,
      }));
    }
    case "comment_deleted": {
      const count = typeof data.comment_count === "number" ? data.comment_count : null;
      return patchPost(state, data.post_id, (p) => ({ ...p, comment_count: count ?? Math.max(0, p.comment_count - 1) }));
    }
    case "post_liked":
    case "post_unliked": {
      const liked = envelope.type === "post_liked";
      return patchPost(state, data.post_id ?? data.id, (p) =>
        typeof data.like_count !== "number" && data.user_id === me && p.liked_by_me === liked
          ? p // the echo of my own click, already counted
          : {
        ...p,
        like_count: typeof data.like_count === "number" ? data.like_count : Math.max(0, p.like_count + (liked ? 1 : -1)),
        liked_by_me: data.user_id === me ? liked : p.liked_by_me,
      });
    }
    default:
      return state;
  }
}
