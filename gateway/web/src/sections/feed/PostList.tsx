// A list of posts (my feed, a channel, a record) that stays current by itself: new
// posts, edits, comments and likes arrive live, each once (by id).
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, get } from "../../core/api";
import { LIVE_TYPES, onReconnect, subscribe } from "../../core/live";
import { requestNames } from "../../core/lookup";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { PostCard } from "./PostCard";
import { applyLive, countComment, emptyState, upsertPosts, type PostsState, type Scope } from "./store";
import type { Channel, Page, Post } from "./types";

interface Props {
  /** The API path of the list, without limit/cursor (e.g. "/feed"). */
  path: string;
  scope: Scope;
  channels?: Channel[] | null;
  showWhere?: boolean;
  empty: string;
  /** Posts the user just made here (shown at once). */
  added?: Post | null;
}

const POST_TYPES = LIVE_TYPES.filter((type) => !type.startsWith("notification"));

export function PostList({ path, scope, channels, showWhere, empty, added }: Props) {
  const t = useT();
  const { user } = useSession();
  const [state, setState] = useState<PostsState | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const scopeRef = useRef(scope);
  scopeRef.current = scope;

  const page = useCallback(
    async (after: string | null) => {
      const join = path.includes("?") ? "&" : "?";
      const url = `${path}${join}limit=20${after ? `&cursor=${encodeURIComponent(after)}` : ""}`;
      const body = await get<Page<Post>>(url);
      requestNames("users", body.items.map((p) => p.author_id).filter((id): id is string => Boolean(id)));
      return body;
    },
    [path],
  );

  const load = useCallback(async () => {
    try {
      const body = await page(null);
      setState((s) => upsertPosts(s ?? emptyState(), body.items, scopeRef.current));
      setCursor(body.next_cursor);
      setFailed(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    }
  }, [page]);

  useEffect(() => {
    setState(null);
    void load();
    const offs = POST_TYPES.map((type) =>
      subscribe(type, (envelope) => setState((s) => (s ? applyLive(s, envelope, scopeRef.current, user.id) : s))),
    );
    // Back after the stream was down for good: what came meanwhile is fetched again.
    offs.push(onReconnect(() => void load()));
    return () => offs.forEach((off) => off());
  }, [load, user.id]);

  useEffect(() => {
    if (added) setState((s) => upsertPosts(s ?? emptyState(), [added], scopeRef.current));
  }, [added]);

  const more = async () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    try {
      const body = await page(cursor);
      setState((s) => upsertPosts(s ?? emptyState(), body.items, scopeRef.current));
      setCursor(body.next_cursor);
    } catch {
      setFailed(true);
    } finally {
      setLoadingMore(false);
    }
  };

  const byId = new Map((channels ?? []).map((c) => [c.id, c]));
  if (failed && !state) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!state) return <div className="loading small" aria-busy="true" />;
  return (
    <div className="post-list" data-feed-list={scope.kind} aria-busy={false}>
      {state.posts.length === 0 && <p className="muted empty-note">{empty}</p>}
      {state.posts.map((post) => (
        <PostCard
          key={post.id}
          post={post}
          channel={post.channel_id ? (byId.get(post.channel_id) ?? null) : null}
          showWhere={showWhere}
          onChange={(changed) => setState((s) => (s ? upsertPosts(s, [changed], scopeRef.current) : s))}
          onRemoved={(id) => setState((s) => (s ? { ...s, posts: s.posts.filter((p) => p.id !== id) } : s))}
          onComment={(comment) => setState((s) => (s ? countComment(s, comment) : s))}
        />
      ))}
      {cursor && (
        <button type="button" className="button" onClick={() => void more()} disabled={loadingMore}>
          {t("feed.more")}
        </button>
      )}
    </div>
  );
}
