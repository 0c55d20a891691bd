// The bell: how many notifications are unread, kept current by the live stream; opens
// the latest few, "mark all read" and the way to the notification centre.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, get, request } from "../core/api";
import { onReconnect, subscribe } from "../core/live";
import { Link } from "../core/router";
import { useT } from "../i18n";
import { Icon } from "./Icon";
import { NotificationRow, type NotificationItem } from "./Notifications";

const BELL = "M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.73 21a2 2 0 0 1-3.46 0";

export function Bell() {
  const t = useT();
  const [count, setCount] = useState<number | null>(null);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<NotificationItem[] | null>(null);
  const box = useRef<HTMLDivElement>(null);

  const refresh = useCallback(async () => {
    try {
      setCount((await get<{ count: number }>("/notifications/unread-count")).count);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setCount(null);
    }
  }, []);

  const loadItems = useCallback(async () => {
    try {
      setItems((await get<{ items: NotificationItem[] }>("/notifications?limit=8")).items);
    } catch {
      setItems([]);
    }
  }, []);

  useEffect(() => {
    void refresh();
    const offs = [
      subscribe("notification_created", (envelope) => {
        const data = envelope.data as Partial<NotificationItem> & { unread_count?: number; notification?: NotificationItem };
        if (typeof data.unread_count === "number") setCount(data.unread_count);
        else setCount((c) => (c ?? 0) + 1);
        const item = (data.notification ?? data) as NotificationItem;
        if (typeof item.id === "string") setItems((list) => (list ? [item, ...list.filter((n) => n.id !== item.id)].slice(0, 8) : list));
      }),
      subscribe("notifications_read", (envelope) => {
        const data = envelope.data as { unread_count?: number };
        if (typeof data.unread_count === "number") setCount(data.unread_count);
        else void refresh();
      }),
      onReconnect(() => void refresh()),
    ];
    return () => offs.forEach((off) => off());
  }, [refresh]);

  useEffect(() => {
    if (!open) return;
    void loadItems();
    const close = (event: MouseEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", escape);
    };
  }, [open, loadItems]);

  const readAll = async () => {
    try {
      await request("/notifications/read-all", { method: "POST" });
      setCount(0);
      setItems((list) => list?.map((n) => ({ ...n, read_at: n.read_at ?? new Date().toISOString() })) ?? null);
    } catch {
      void refresh();
    }
  };

  const unread = count ?? 0;
  return (
    <div className="bell" ref={box}>
      <button
        type="button"
        className="bell-button"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-label={unread ? t("notifications.bellUnread", { count: unread }) : t("notifications.bell")}
        title={t("notifications.title")}
        onClick={() => setOpen(!open)}
        data-unread={unread}
      >
        <Icon path={BELL} />
        {unread > 0 && (
          <span className="bell-count" data-part="unread-count">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </button>
      {open && (
        <div className="bell-panel" role="dialog" aria-label={t("notifications.title")}>
          <div className="bell-head">
            <strong>{t("notifications.title")}</strong>
            <span className="spacer" />
            <button type="button" className="button ghost small" onClick={() => void readAll()} disabled={unread === 0}>
              {t("notifications.readAll")}
            </button>
          </div>
          {!items && <p className="muted">{t("list.loading")}</p>}
          {items && items.length === 0 && <p className="muted">{t("notifications.none")}</p>}
          {items && items.length > 0 && (
            <ul className="notification-list">
              {items.map((item) => (
                <NotificationRow
                  key={item.id}
                  item={item}
                  markable={false}
                  onOpened={() => setOpen(false)}
                  onRead={(read) => {
                    setItems((list) => list?.map((n) => (n.id === read.id ? read : n)) ?? null);
                    setCount((c) => Math.max(0, (c ?? 1) - 1));
                  }}
                />
              ))}
            </ul>
          )}
          <Link to="/feed/notifications" className="bell-all" onClick={() => setOpen(false)}>
            {t("notifications.all")}
          </Link>
        </div>
      )}
    </div>
  );
}
