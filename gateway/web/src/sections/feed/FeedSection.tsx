// The Feed section: my feed, channels (follow, create), a post's own page and the
// notification centre. Lists update live from the shared event stream.
import { useEffect, useMemo, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { SectionProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { problemText } from "../../views/Dialog";
import { useChannels, useFollows, type Follows } from "./api";
import { ChannelDialog } from "./ChannelDialog";
import { Composer } from "./Composer";
import { NotificationsPage } from "./NotificationsPage";
import { PostCard } from "./PostCard";
import { PostList } from "./PostList";
import { SystemPostSettings } from "./SystemPostSettings";
import type { Scope } from "./store";
import type { Channel, Post } from "./types";

const LOCK = "M5 11h14v10H5zM8 11V7a4 4 0 0 1 8 0v4";

export default function FeedSection({ subpath }: SectionProps) {
  const t = useT();
  const { channels, reload } = useChannels();
  const follows = useFollows();
  const [creating, setCreating] = useState(false);
  const [where, id] = subpath;
  const { user } = useSession();
  const isAdmin = user.roles.includes("admin");
  const view =
    where === "channels" && id
      ? "channel"
      : where === "posts" && id
        ? "post"
        : where === "notifications"
          ? "notifications"
          : where === "settings" && isAdmin
            ? "settings"
            : "feed";

  return (
    <div className="page feed-page">
      <div className="feed-layout">
        <nav className="feed-nav card" aria-label={t("feed.nav")}>
          <Link to="/feed" className={view === "feed" ? "feed-nav-item active" : "feed-nav-item"} aria-current={view === "feed" ? "page" : undefined}>
            {t("feed.my")}
          </Link>
          <Link
            to="/feed/notifications"
            className={view === "notifications" ? "feed-nav-item active" : "feed-nav-item"}
            aria-current={view === "notifications" ? "page" : undefined}
          >
            {t("notifications.title")}
          </Link>
          <div className="feed-nav-head">
            <span>{t("feed.channels")}</span>
            <button type="button" className="button ghost small icon-only" aria-label={t("feed.channel.new")} title={t("feed.channel.new")} onClick={() => setCreating(true)}>
              <Icon path={ICONS.plus} size={16} />
            </button>
          </div>
          <ul className="feed-channels">
            {(channels ?? []).map((channel) => (
              <li key={channel.id}>
                <Link
                  to={`/feed/channels/${channel.id}`}
                  className={view === "channel" && id === channel.id ? "feed-nav-item active" : "feed-nav-item"}
                  aria-current={view === "channel" && id === channel.id ? "page" : undefined}
                  data-channel={channel.name}
                >
                  {channel.is_private ? <Icon path={LOCK} size={14} /> : <span className="hash">#</span>}
                  <span className="grow">{channel.name}</span>
                </Link>
              </li>
            ))}
          </ul>
          {channels && channels.length === 0 && <p className="muted small-note">{t("feed.channel.none")}</p>}
          {isAdmin && (
            <Link
              to="/feed/settings"
              className={view === "settings" ? "feed-nav-item active feed-nav-settings" : "feed-nav-item feed-nav-settings"}
              aria-current={view === "settings" ? "page" : undefined}
            >
              {t("feed.settings.title")}
            </Link>
          )}
        </nav>
        {view === "feed" && <MyFeed channels={channels} follows={follows} />}
        {view === "channel" && <ChannelView key={id} id={id} channels={channels} follows={follows} onChanged={reload} />}
        {view === "post" && <PostView key={id} id={id} channels={channels} />}
        {view === "notifications" && <NotificationsPage />}
        {view === "settings" && <SystemPostSettings channels={channels} />}
      </div>
      {creating && (
        <ChannelDialog
          onClose={() => setCreating(false)}
          onCreated={(channel) => {
            setCreating(false);
            void reload();
            navigate(`/feed/channels/${channel.id}`);
          }}
        />
      )}
    </div>
  );
}

function MyFeed({ channels, follows }: { channels: Channel[] | null; follows: Follows }) {
  const t = useT();
  const { user } = useSession();
  const [added, setAdded] = useState<Post | null>(null);
  const list = follows.list;
  const scope: Scope = useMemo(
    () => ({
      kind: "feed",
      userId: user.id,
      follows: (post: Post) =>
        Boolean(
          list?.some(
            (s) =>
              (post.channel_id && s.target.type === "channel" && s.target.id === post.channel_id) ||
              (post.related && s.target.type === post.related.type && s.target.id === post.related.id),
          ),
        ),
    }),
    [user.id, list],
  );
  return (
    <div className="feed-main">
      <div className="page-head">
        <h1>{t("feed.my")}</h1>
      </div>
      {channels && channels.length > 0 && <Composer channels={channels} onPosted={setAdded} />}
      <PostList path="/feed" scope={scope} channels={channels} showWhere empty={t("feed.my.empty")} added={added} />
    </div>
  );
}

interface ChannelViewProps {
  id: string;
  channels: Channel[] | null;
  follows: Follows;
  onChanged: () => Promise<void>;
}

function ChannelView({ id, channels, follows, onChanged }: ChannelViewProps) {
  const t = useT();
  const { user } = useSession();
  const [editing, setEditing] = useState(false);
  const [added, setAdded] = useState<Post | null>(null);
  const [channel, setChannel] = useState<Channel | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const listed = channels?.find((c) => c.id === id) ?? null;

  useEffect(() => {
    if (listed) {
      setChannel(listed);
      return;
    }
    get<Channel>(`/channels/${encodeURIComponent(id)}`).then(setChannel, (error) =>
      setMissing(error instanceof ApiError && (error.status === 404 || error.status === 403) ? t("error.notFound") : t("error.loadFailed")),
    );
  }, [id, listed, t]);

  const scope: Scope = useMemo(() => ({ kind: "channel", channelId: id }), [id]);
  if (missing) return <p className="empty-page">{missing}</p>;
  if (!channel) return <div className="loading small" aria-busy="true" />;
  const following = Boolean(follows.find({ type: "channel", id }));
  const admin = user.roles.includes("admin") || channel.admin_ids.includes(user.id);
  return (
    <div className="feed-main">
      <div className="page-head">
        <h1>
          {channel.is_private ? "🔒 " : "# "}
          {channel.name}
        </h1>
        {channel.is_private && <span className="badge">{t("feed.channel.privateBadge")}</span>}
        <span className="spacer" />
        <button
          type="button"
          className={following ? "button small toggled" : "button small"}
          aria-pressed={following}
          disabled={follows.list === null}
          onClick={() => follows.toggle({ type: "channel", id }).catch((error) => setProblem(problemText(error, t("feed.failed"))))}
        >
          {following ? t("feed.following") : t("feed.follow")}
        </button>
        {admin && (
          <button type="button" className="button small" onClick={() => setEditing(true)}>
            {t("feed.channel.settings")}
          </button>
        )}
      </div>
      {editing && (
        <ChannelDialog
          channel={channel}
          onClose={() => setEditing(false)}
          onCreated={(changed) => {
            setEditing(false);
            setChannel(changed);
            void onChanged();
          }}
          onDeleted={() => {
            setEditing(false);
            void onChanged();
            navigate("/feed");
          }}
        />
      )}
      {channel.description && <p className="muted channel-description">{channel.description}</p>}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <Composer channelId={id} onPosted={setAdded} />
      <PostList path={`/channels/${encodeURIComponent(id)}/posts`} scope={scope} channels={channels} empty={t("feed.channel.empty")} added={added} />
    </div>
  );
}

function PostView({ id, channels }: { id: string; channels: Channel[] | null }) {
  const t = useT();
  const [post, setPost] = useState<Post | null>(null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    get<Post>(`/posts/${encodeURIComponent(id)}`).then(setPost, () => setMissing(true));
  }, [id]);
  if (missing)
    return (
      <div className="empty-page">
        <h1>{t("error.notFound")}</h1>
        <Link to="/feed">{t("feed.my")}</Link>
      </div>
    );
  if (!post) return <div className="loading small" aria-busy="true" />;
  const channel = post.channel_id ? (channels?.find((c) => c.id === post.channel_id) ?? null) : null;
  return (
    <div className="feed-main">
      <PostCard
        post={post}
        channel={channel}
        showWhere
        expanded
        onChange={setPost}
        onRemoved={() => navigate("/feed")}
        onComment={() => setPost((p) => (p ? { ...p, comment_count: p.comment_count + 1 } : p))}
      />
    </div>
  );
}
