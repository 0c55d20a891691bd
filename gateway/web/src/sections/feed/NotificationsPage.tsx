// The notification centre: everything, or only the unread; mark one or all read.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import { subscribe } from "../../core/live";
import { useT } from "../../i18n";
import { NotificationRow, type NotificationItem } from "../../shell/Notifications";
import type { Page } from "./types";

export function NotificationsPage() {
  const t = useT();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [items, setItems] = useState<NotificationItem[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [problem, setProblem] = useState(false);

  const load = useCallback(
    async (after: string | null) => {
      const query = new URLSearchParams({ limit: "30" });
      if (unreadOnly) query.set("unread", "true");
      if (after) query.set("cursor", after);
      try {
        const page = await get<Page<NotificationItem>>(`/notifications?${query.toString()}`);
        setItems((list) => (after ? [...(list ?? []), ...page.items] : page.items));
        setCursor(page.next_cursor);
        setFailed(false);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      }
    },
    [unreadOnly],
  );

  useEffect(() => {
    setItems(null);
    void load(null);
    return subscribe("notification_created", (envelope) => {
      const data = envelope.data as unknown as NotificationItem & { notification?: NotificationItem };
      const item = data.notification ?? data;
      if (typeof item.id === "string") setItems((list) => (list ? [item, ...list.filter((n) => n.id !== item.id)] : list));
    });
  }, [load]);

  const readAll = async () => {
    try {
      await request("/notifications/read-all", { method: "POST" });
      const now = new Date().toISOString();
      setItems((list) => (unreadOnly ? [] : (list?.map((n) => ({ ...n, read_at: n.read_at ?? now })) ?? null)));
      setProblem(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(true);
    }
  };

  return (
    <div className="feed-main">
      <div className="page-head">
        <h1>{t("notifications.title")}</h1>
        <span className="spacer" />
        <div className="segmented" role="group" aria-label={t("notifications.show")}>
          <button type="button" className={unreadOnly ? "button small" : "button small toggled"} aria-pressed={!unreadOnly} onClick={() => setUnreadOnly(false)}>
            {t("notifications.showAll")}
          </button>
          <button type="button" className={unreadOnly ? "button small toggled" : "button small"} aria-pressed={unreadOnly} onClick={() => setUnreadOnly(true)}>
            {t("notifications.showUnread")}
          </button>
        </div>
        <button type="button" className="button small" onClick={() => void readAll()}>
          {t("notifications.readAll")}
        </button>
      </div>
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {problem && (
        <p className="banner danger" role="alert">
          {t("feed.failed")}
        </p>
      )}
      {!items && !failed && <div className="loading small" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("notifications.none")}</p>}
      {items && items.length > 0 && (
        <ul className="notification-list card">
          {items.map((item) => (
            <NotificationRow
              key={item.id}
              item={item}
              onRead={(read) => setItems((list) => list?.map((n) => (n.id === read.id ? read : n)) ?? null)}
            />
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" className="button" onClick={() => void load(cursor)}>
          {t("feed.more")}
        </button>
      )}
    </div>
  );
}
