// Create a channel (a name, what it is for, and for a private one its members), or as
// its admin change or delete one.
import { useState } from "react";
import { ApiError, request } from "../../core/api";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { Dialog, problemText } from "../../views/Dialog";
import { LookupPicker } from "../../views/LookupPicker";
import { UserName } from "./PostCard";
import type { Channel } from "./types";

interface Props {
  /** The channel to change; none: a new one. */
  channel?: Channel;
  onClose: () => void;
  onCreated: (channel: Channel) => void;
  onDeleted?: () => void;
}

export function ChannelDialog({ channel, onClose, onCreated, onDeleted }: Props) {
  const t = useT();
  const { user } = useSession();
  const [name, setName] = useState(channel?.name ?? "");
  const [description, setDescription] = useState(channel?.description ?? "");
  const [isPrivate, setPrivate] = useState(channel?.is_private ?? false);
  const [members, setMembers] = useState<string[]>((channel?.member_ids ?? []).filter((id) => id !== user.id));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const create = async () => {
    if (!name.trim() || busy) return;
    setBusy(true);
    setProblem(null);
    try {
      const body: Record<string, unknown> = { name: name.trim(), description: description.trim() || null, is_private: isPrivate };
      if (isPrivate) body.member_ids = channel ? [...new Set([...members, ...(channel.admin_ids ?? [])])] : members;
      const made = channel
        ? await request<Channel>(`/channels/${channel.id}`, { method: "PATCH", body, headers: { "If-Match": `"${channel.version}"` } })
        : await request<Channel>("/channels", { method: "POST", body });
      onCreated(made.data);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!channel) return;
    setBusy(true);
    try {
      await request(`/channels/${channel.id}`, { method: "DELETE", headers: { "If-Match": `"${channel.version}"` } });
      onDeleted?.();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={channel ? t("feed.channel.edit") : t("feed.channel.new")}
      onClose={onClose}
      onSubmit={() => void create()}
      actions={
        <>
          {channel &&
            (confirming ? (
              <button type="button" className="button danger" onClick={() => void remove()} disabled={busy}>
                {t("feed.channel.deleteSure")}
              </button>
            ) : (
              <button type="button" className="button danger-ghost" onClick={() => setConfirming(true)}>
                {t("feed.channel.delete")}
              </button>
            ))}
          <span className="spacer" />
          <button type="button" className="button ghost" onClick={onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={busy || !name.trim()}>
            {channel ? t("action.save") : t("action.create")}
          </button>
        </>
      }
    >
      <label className="field">
        <span>{t("feed.channel.name")}</span>
        <input type="text" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} autoFocus required />
      </label>
      <label className="field">
        <span>{t("feed.channel.description")}</span>
        <input type="text" value={description} maxLength={300} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
        <span>{t("feed.channel.private")}</span>
      </label>
      {isPrivate && (
        <div className="field">
          <span>{t("feed.channel.members")}</span>
          <LookupPicker
            lookup="users"
            value={null}
            placeholder={t("feed.channel.addMember")}
            exclude={[user.id, ...members]}
            onChange={(id) => id && setMembers((m) => (m.includes(id) ? m : [...m, id]))}
          />
          <ul className="chips">
            {members.map((id) => (
              <li key={id} className="chip on">
                <UserName id={id} />
                <button
                  type="button"
                  className="button ghost small"
                  aria-label={t("feed.channel.removeMember")}
                  onClick={() => setMembers((m) => m.filter((x) => x !== id))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
          <p className="hint">{t("feed.channel.privateHint")}</p>
        </div>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
    </Dialog>
  );
}
