// Notifications as a list: used by the bell's drop-down and the notification centre.
import { request } from "../core/api";
import { navigate } from "../core/router";
import { useLookupName } from "../core/lookup";
import { useT } from "../i18n";
import { relativeTime } from "../sections/feed/time";

export interface NotificationItem {
  id: string;
  kind: string;
  text: string;
  related: { type: string; id: string } | null;
  post_id: string | null;
  actor_id: string | null;
  read_at: string | null;
  created_at: string;
}

const RECORD_ROUTES: Record<string, string> = {
  lead: "/leads",
  account: "/accounts",
  contact: "/contacts",
  opportunity: "/opportunities",
  order: "/orders",
  invoice: "/invoices",
  activity: "/activities",
};

/** Where a notification leads: the post it is about, else its record's Feed tab. */
export function notificationHref(item: Pick<NotificationItem, "kind" | "related" | "post_id">): string | null {
  const record = item.related && RECORD_ROUTES[item.related.type];
  const recordHref = record ? `${record}/${encodeURIComponent(item.related!.id)}?tab=feed` : null;
  if ((item.kind === "assignment" || item.kind === "system") && recordHref) return recordHref;
  if (item.post_id) return `/feed/posts/${encodeURIComponent(item.post_id)}`;
  return recordHref;
}

/** Mark one read (if it is not) and go where it points. */
export async function openNotification(item: NotificationItem, onRead?: (item: NotificationItem) => void): Promise<void> {
  if (!item.read_at) {
    try {
      const read = await request<NotificationItem>(`/notifications/${item.id}/read`, { method: "POST" });
      onRead?.(read.data ?? { ...item, read_at: new Date().toISOString() });
    } catch {
      // Going there matters more than the dot.
    }
  }
  const href = notificationHref(item);
  if (href) navigate(href);
}

const OWN_WORDS = new Set(["mention", "comment", "like"]);

/** What happened, in the user's language where we know the kind; else the server's text. */
function What({ item }: { item: NotificationItem }) {
  const t = useT();
  const name = useLookupName("users", item.actor_id);
  if (OWN_WORDS.has(item.kind) && item.actor_id) {
    return <>{t(`notifications.text.${item.kind}`, { actor: name ?? "…" })}</>;
  }
  return <>{item.text}</>;
}

export function NotificationRow({
  item,
  onRead,
  onOpened,
  markable = true,
}: {
  item: NotificationItem;
  onRead?: (item: NotificationItem) => void;
  onOpened?: () => void;
  /** Offer "Mark read" beside it (the centre does; the bell's short list does not). */
  markable?: boolean;
}) {
  const t = useT();
  return (
    <li className={item.read_at ? "notification" : "notification unread"} data-notification-id={item.id} data-kind={item.kind}>
      <button
        type="button"
        className="notification-open"
        onClick={() => {
          onOpened?.();
          void openNotification(item, onRead);
        }}
      >
        <span className="notification-dot" aria-hidden="true" />
        <span className="notification-text">
          <span className="badge">{t(`notifications.kind.${item.kind}`)}</span> <What item={item} />
        </span>
        <time className="muted" dateTime={item.created_at} title={t.dateTime(item.created_at)}>
          {relativeTime(item.created_at, t.locale)}
        </time>
      </button>
      {!item.read_at && onRead && markable && (
        <button
          type="button"
          className="button ghost small"
          onClick={() =>
            request<NotificationItem>(`/notifications/${item.id}/read`, { method: "POST" }).then(
              (read) => onRead(read.data ?? { ...item, read_at: new Date().toISOString() }),
              () => undefined, // the dot stays; the centre can be reloaded
            )
          }
        >
          {t("notifications.markRead")}
        </button>
      )}
    </li>
  );
}
