// Administrators choose which domain events become system posts, and whether each is
// also posted to a channel (besides the record's own feed).
import { useEffect, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import { useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import type { Channel } from "./types";

interface Setting {
  event_type: string;
  enabled: boolean;
  channel_id: string | null;
}

export function SystemPostSettings({ channels }: { channels: Channel[] | null }) {
  const t = useT();
  const [items, setItems] = useState<Setting[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    get<{ items: Setting[] }>("/feed-settings/system-posts").then(
      (body) => setItems(body.items),
      (error) => setProblem(error instanceof ApiError && error.status === 403 ? t("error.forbidden") : t("error.loadFailed")),
    );
  }, [t]);

  const save = async (setting: Setting) => {
    setProblem(null);
    setSaved(null);
    const before = items;
    setItems((list) => list?.map((s) => (s.event_type === setting.event_type ? setting : s)) ?? null);
    try {
      const body = { enabled: setting.enabled, channel_id: setting.channel_id };
      const result = await request<Setting>(`/feed-settings/system-posts/${encodeURIComponent(setting.event_type)}`, { method: "PUT", body });
      setItems((list) => list?.map((s) => (s.event_type === setting.event_type ? result.data : s)) ?? null);
      setSaved(setting.event_type);
    } catch (error) {
      setItems(before);
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    }
  };

  return (
    <div className="feed-main">
      <div className="page-head">
        <h1>{t("feed.settings.title")}</h1>
      </div>
      <p className="muted">{t("feed.settings.intro")}</p>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {!items && !problem && <div className="loading small" aria-busy="true" />}
      {items && (
        <table className="card system-post-settings">
          <thead>
            <tr>
              <th>{t("feed.settings.event")}</th>
              <th>{t("feed.settings.enabled")}</th>
              <th>{t("feed.settings.channel")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((setting) => (
              <tr key={setting.event_type} data-event-type={setting.event_type}>
                <td>{t(`feed.event.${setting.event_type}`)}</td>
                <td>
                  <input
                    type="checkbox"
                    checked={setting.enabled}
                    aria-label={t("feed.settings.enabledFor", { event: t(`feed.event.${setting.event_type}`) })}
                    onChange={(e) => void save({ ...setting, enabled: e.target.checked })}
                  />
                </td>
                <td>
                  <select
                    value={setting.channel_id ?? ""}
                    aria-label={t("feed.settings.channelFor", { event: t(`feed.event.${setting.event_type}`) })}
                    onChange={(e) => void save({ ...setting, channel_id: e.target.value || null })}
                  >
                    <option value="">{t("feed.settings.recordOnly")}</option>
                    {(channels ?? []).map((c) => (
                      <option key={c.id} value={c.id}>
                        # {c.name}
                      </option>
                    ))}
                  </select>
                  {saved === setting.event_type && <span className="hint"> {t("feed.settings.saved")}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
