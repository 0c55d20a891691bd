// A post's comments, oldest first, new ones arriving live; add one with @mentions.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import { subscribe } from "../../core/live";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import { MentionTextarea } from "./MentionTextarea";
import { Avatar, Time, UserName } from "./PostCard";
import type { Comment, Page } from "./types";

export function Comments({ postId, onAdded }: { postId: string; onAdded: (comment: Comment) => void }) {
  const t = useT();
  const { user } = useSession();
  const [items, setItems] = useState<Comment[] | null>(null);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const merge = useCallback((incoming: Comment[]) => {
    setItems((list) => {
      const byId = new Map((list ?? []).map((c) => [c.id, c]));
      for (const comment of incoming) byId.set(comment.id, comment);
      return [...byId.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    });
  }, []);

  useEffect(() => {
    get<Page<Comment>>(`/posts/${postId}/comments?limit=200`).then(
      (page) => merge(page.items),
      () => setItems((list) => list ?? []),
    );
    const offAdded = subscribe("comment_added", (envelope) => {
      const comment = envelope.data as unknown as Comment;
      if (comment.post_id === postId) merge([comment]);
    });
    const offDeleted = subscribe("comment_deleted", (envelope) => {
      const id = envelope.data.id;
      if (envelope.data.post_id === postId) setItems((list) => list?.filter((c) => c.id !== id) ?? null);
    });
    return () => {
      offAdded();
      offDeleted();
    };
  }, [postId, merge]);

  const add = async () => {
    if (!text.trim() || busy) return;
    setBusy(true);
    setProblem(null);
    try {
      const made = (await request<Comment>(`/posts/${postId}/comments`, { method: "POST", body: { text } })).data;
      merge([made]);
      onAdded(made);
      setText("");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    } finally {
      setBusy(false);
    }
  };

  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState("");

  const save = async (comment: Comment) => {
    if (!draft.trim()) return;
    setProblem(null);
    try {
      const changed = await request<Comment>(`/posts/${postId}/comments/${comment.id}`, {
        method: "PATCH",
        body: { text: draft },
        headers: { "If-Match": `"${comment.version}"` },
      });
      merge([changed.data]);
      setEditing(null);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    }
  };

  const remove = async (comment: Comment) => {
    try {
      await request(`/posts/${postId}/comments/${comment.id}`, { method: "DELETE" });
      setItems((list) => list?.filter((c) => c.id !== comment.id) ?? null);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    }
  };

  return (
    <section className="comments" aria-label={t("feed.post.comments")}>
      {!items && <p className="muted">{t("list.loading")}</p>}
      {items && items.length > 0 && (
        <ul className="comment-list">
          {items.map((comment) => (
            <li key={comment.id} className="comment" data-comment-id={comment.id}>
              <Avatar userId={comment.author_id} />
              <div className="comment-main">
                <div className="comment-head">
                  <strong>
                    <UserName id={comment.author_id} />
                  </strong>{" "}
                  <span className="muted">
                    <Time iso={comment.created_at} />
                  </span>
                  {comment.edited_at && <span className="muted">· {t("feed.post.edited")}</span>}
                  {comment.author_id === user.id && editing !== comment.id && (
                    <span className="comment-tools">
                      <button
                        type="button"
                        className="button ghost small link-like"
                        onClick={() => {
                          setDraft(comment.text);
                          setEditing(comment.id);
                        }}
                      >
                        {t("feed.post.edit")}
                      </button>
                      <button type="button" className="button ghost small link-like" onClick={() => void remove(comment)}>
                        {t("action.delete")}
                      </button>
                    </span>
                  )}
                </div>
                {editing === comment.id ? (
                  <div className="post-edit">
                    <MentionTextarea value={draft} onChange={setDraft} label={t("feed.comment.editLabel")} rows={2} onSubmit={() => void save(comment)} autoFocus />
                    <div className="row-actions">
                      <button type="button" className="button primary small" onClick={() => void save(comment)} disabled={!draft.trim()}>
                        {t("action.save")}
                      </button>
                      <button type="button" className="button ghost small" onClick={() => setEditing(null)}>
                        {t("action.cancel")}
                      </button>
                    </div>
                  </div>
                ) : (
                  // Sanitized by the server, like a post's.
                  <div className="rich" dangerouslySetInnerHTML={{ __html: comment.html }} />
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <form
        className="comment-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <MentionTextarea value={text} onChange={setText} label={t("feed.comment.label")} placeholder={t("feed.comment.placeholder")} rows={1} onSubmit={() => void add()} />
        <button type="submit" className="button small" disabled={busy || !text.trim()}>
          {t("feed.comment.send")}
        </button>
      </form>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
