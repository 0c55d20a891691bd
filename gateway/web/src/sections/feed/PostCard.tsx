// One post: who and when, where, the server's sanitized HTML, files, likes, comments,
// and the author's / channel admin's actions.
import { useState, useSyncExternalStore } from "react";
import { ApiError, get, request } from "../../core/api";
import { cachedName, requestNames, useLookupName, useNamesVersion } from "../../core/lookup";
import { Link } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import { fileUrl } from "./api";
import { Comments } from "./Comments";
import { formatSize } from "./mentions";
import { MentionTextarea } from "./MentionTextarea";
import { relativeTime } from "./time";
import { RECORD_ROUTES, recordHref, type Channel, type Comment, type Post } from "./types";

const HEART = "M20.8 4.6a5.5 5.5 0 0 0-7.8 0L12 5.7l-1-1.1a5.5 5.5 0 0 0-7.8 7.8l1 1.1L12 21l7.8-7.5 1-1.1a5.5 5.5 0 0 0 0-7.8z";
const BUBBLE = "M21 11.5a8.4 8.4 0 0 1-9 8.4 8.5 8.5 0 0 1-3.8-.9L3 21l1.9-5.2A8.4 8.4 0 0 1 12 3.1a8.4 8.4 0 0 1 9 8.4z";

interface Props {
  post: Post;
  channel?: Channel | null;
  /** Show the channel or record it is in (My feed); not on the channel's or record's own page. */
  showWhere?: boolean;
  /** Open the comments from the start (a post's own page). */
  expanded?: boolean;
  onChange: (post: Post) => void;
  onRemoved: (id: string) => void;
  onComment: (comment: Comment) => void;
}

export function Avatar({ userId, system }: { userId: string | null; system?: boolean }) {
  const name = useLookupName("users", userId);
  const letter = system ? "⚙" : (name ?? "?").slice(0, 1).toUpperCase();
  return (
    <span className={system ? "avatar feed-avatar system" : "avatar feed-avatar"} aria-hidden="true">
      {letter}
    </span>
  );
}

export function UserName({ id }: { id: string | null }) {
  const t = useT();
  const name = useLookupName("users", id);
  if (!id) return <>{t("feed.system")}</>;
  return <>{name ?? "…"}</>;
}

// One timer for every time on screen: "now" becomes "1 minute ago" without a reload.
const tickers = new Set<() => void>();
let minute = Date.now();
let ticking: ReturnType<typeof setInterval> | null = null;
function onTick(listener: () => void): () => void {
  tickers.add(listener);
  ticking ??= setInterval(() => {
    minute = Date.now();
    tickers.forEach((l) => l());
  }, 30_000);
  return () => {
    tickers.delete(listener);
    if (tickers.size === 0 && ticking) {
      clearInterval(ticking);
      ticking = null;
    }
  };
}

export function Time({ iso }: { iso: string }) {
  const t = useT();
  useSyncExternalStore(onTick, () => minute);
  return (
    <time dateTime={iso} title={t.dateTime(iso)}>
      {relativeTime(iso, t.locale)}
    </time>
  );
}

function RecordLink({ type, id }: { type: string; id: string }) {
  const t = useT();
  const entity = RECORD_ROUTES[type]?.slice(1) ?? null;
  const name = useLookupName(entity, id);
  const href = recordHref({ type, id });
  const label = `${t(`feed.record.${type}`)}: ${name ?? "…"}`;
  return href ? (
    <Link to={href} className="post-record" data-record-link={type}>
      {label}
    </Link>
  ) : (
    <span>{label}</span>
  );
}

/** Who liked a post, fetched when the pointer first rests on the button. */
function useLikers(postId: string, count: number): { title: string | undefined; load: () => void } {
  const [ids, setIds] = useState<string[] | null>(null);
  const [loadedFor, setLoadedFor] = useState(-1);
  useNamesVersion();
  const load = () => {
    if (loadedFor === count || count === 0) return;
    setLoadedFor(count);
    get<{ items: Array<{ user_id: string }> }>(`/posts/${postId}/likes`).then(
      (body) => {
        const list = body.items.map((l) => l.user_id);
        requestNames("users", list);
        setIds(list);
      },
      () => setIds(null),
    );
  };
  const names = (ids ?? []).map((id) => cachedName("users", id)).filter((n): n is string => Boolean(n));
  return { title: count > 0 && names.length ? names.join(", ") : undefined, load };
}

export function PostCard({ post, channel, showWhere, expanded, onChange, onRemoved, onComment }: Props) {
  const t = useT();
  const { user } = useSession();
  const likers = useLikers(post.id, post.like_count);
  const [open, setOpen] = useState(Boolean(expanded));
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(post.text);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const isAdmin = user.roles.includes("admin");
  const mine = post.author_id === user.id;
  const channelAdmin = isAdmin || Boolean(channel?.admin_ids.includes(user.id));
  const system = post.kind === "system";

  const act = async (work: () => Promise<void>) => {
    setProblem(null);
    try {
      await work();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    }
  };

  const like = () =>
    act(async () => {
      const method = post.liked_by_me ? "DELETE" : "POST";
      const result = await request<{ like_count: number; liked_by_me: boolean }>(`/posts/${post.id}/likes`, { method });
      onChange({ ...post, ...result.data });
    });

  const save = () =>
    act(async () => {
      const result = await request<Post>(`/posts/${post.id}`, {
        method: "PATCH",
        body: { text: draft },
        headers: { "If-Match": `"${post.version}"` },
      });
      onChange({ ...result.data, liked_by_me: post.liked_by_me });
      setEditing(false);
    });

  const remove = () =>
    act(async () => {
      await request(`/posts/${post.id}`, { method: "DELETE" });
      onRemoved(post.id);
    });

  const pin = () =>
    act(async () => {
      const result = await request<Post>(`/posts/${post.id}/${post.is_pinned ? "unpin" : "pin"}`, { method: "POST" });
      onChange(result.data && typeof result.data === "object" ? { ...post, ...result.data } : { ...post, is_pinned: !post.is_pinned });
    });

  return (
    <article
      className={["post", "card", system ? "system" : "", post.is_pinned ? "pinned" : ""].filter(Boolean).join(" ")}
      data-post-id={post.id}
      data-kind={post.kind}
      aria-label={t("feed.post.label")}
    >
      <header className="post-head">
        <Avatar userId={post.author_id} system={system} />
        <div className="post-meta">
          <span className="post-author">
            <UserName id={system ? null : post.author_id} />
          </span>
          <span className="muted post-where">
            <Link to={`/feed/posts/${post.id}`} className="post-time">
              <Time iso={post.created_at} />
            </Link>
            {post.edited_at && <span> · {t("feed.post.edited")}</span>}
            {showWhere && post.channel_id && channel && (
              <>
                {" · "}
                <Link to={`/feed/channels/${post.channel_id}`}># {channel.name}</Link>
              </>
            )}
            {(showWhere || system) && post.related && (
              <>
                {" · "}
                <RecordLink type={post.related.type} id={post.related.id} />
              </>
            )}
          </span>
        </div>
        <span className="spacer" />
        {post.is_pinned && <span className="badge accent">{t("feed.post.pinned")}</span>}
        {system && <span className="badge">{t(`feed.event.${post.event_type ?? "system"}`)}</span>}
      </header>
      {editing ? (
        <div className="post-edit">
          <MentionTextarea value={draft} onChange={setDraft} label={t("feed.post.editLabel")} onSubmit={() => void save()} autoFocus />
          <div className="row-actions">
            <button type="button" className="button primary small" onClick={() => void save()} disabled={!draft.trim()}>
              {t("action.save")}
            </button>
            <button type="button" className="button ghost small" onClick={() => setEditing(false)}>
              {t("action.cancel")}
            </button>
          </div>
        </div>
      ) : (
        // The server renders and sanitizes `html` (an allow-list); `text` is never HTML.
        <div className="post-body rich" dangerouslySetInnerHTML={{ __html: post.html }} />
      )}
      {post.attachments.length > 0 && (
        <ul className="attachments">
          {post.attachments.map((file) => (
            <li key={file.id}>
              <a href={fileUrl(file.id)} target="_blank" rel="noreferrer" download={file.name}>
                {file.name}
              </a>{" "}
              <span className="muted">{formatSize(file.size, t.locale)}</span>
            </li>
          ))}
        </ul>
      )}
      <footer className="post-actions">
        <button
          type="button"
          className={post.liked_by_me ? "button ghost small liked" : "button ghost small"}
          aria-pressed={post.liked_by_me}
          onClick={() => void like()}
          onMouseEnter={likers.load}
          onFocus={likers.load}
          title={likers.title}
          data-action="like"
        >
          <svg className="icon" width={16} height={16} viewBox="0 0 24 24" aria-hidden="true">
            <path d={HEART} fill={post.liked_by_me ? "currentColor" : "none"} stroke="currentColor" strokeWidth={2} />
          </svg>
          {t("feed.post.like")}
          <span className="count" data-part="likes">
            {t.number(post.like_count)}
          </span>
        </button>
        <button type="button" className="button ghost small" aria-expanded={open} onClick={() => setOpen(!open)} data-action="comments">
          <svg className="icon" width={16} height={16} viewBox="0 0 24 24" aria-hidden="true">
            <path d={BUBBLE} fill="none" stroke="currentColor" strokeWidth={2} />
          </svg>
          {t("feed.post.comments")}
          <span className="count" data-part="comments">
            {t.number(post.comment_count)}
          </span>
        </button>
        <span className="spacer" />
        {post.channel_id && channelAdmin && (
          <button type="button" className="button ghost small" onClick={() => void pin()}>
            {post.is_pinned ? t("feed.post.unpin") : t("feed.post.pin")}
          </button>
        )}
        {mine && !system && !editing && (
          <button
            type="button"
            className="button ghost small"
            onClick={() => {
              setDraft(post.text);
              setEditing(true);
            }}
          >
            {t("feed.post.edit")}
          </button>
        )}
        {(mine || channelAdmin) &&
          (confirming ? (
            <span className="confirm" role="group" aria-label={t("feed.post.deleteAsk")}>
              <span>{t("feed.post.deleteAsk")}</span>
              <button type="button" className="button danger small" onClick={() => void remove()}>
                {t("action.delete")}
              </button>
              <button type="button" className="button ghost small" onClick={() => setConfirming(false)}>
                {t("action.cancel")}
              </button>
            </span>
          ) : (
            <button type="button" className="button danger-ghost small" onClick={() => setConfirming(true)}>
              {t("action.delete")}
            </button>
          ))}
      </footer>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {open && <Comments postId={post.id} onAdded={onComment} />}
    </article>
  );
}
