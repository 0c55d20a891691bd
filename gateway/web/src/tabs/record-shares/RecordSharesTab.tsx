// Whom the record is shared with (`GET /<entity>/{id}/shares`), sharing it with one more
// user or team (`POST`, sharing again changes the access) and stopping (`DELETE`).
// The server decides who may: whoever may change the record by their role's scope.
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { ApiError, get, request } from "../../core/api";
import { useLookupName } from "../../core/lookup";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { LookupPicker } from "../../views/LookupPicker";
import type { Access, Share } from "./shared";
import "./shares.css";

type Kind = "user" | "team";

function refusal(t: ReturnType<typeof useT>, error: unknown): string {
  if (error instanceof ApiError && error.status === 403) return t("sharing.refused");
  if (error instanceof ApiError) return error.detail || error.title;
  return t("error.unreachable");
}

export default function RecordSharesTab({ entity, record }: TabProps) {
  const t = useT();
  const base = `/${entity}/${encodeURIComponent(record.id)}/shares`;
  const [shares, setShares] = useState<Share[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = useCallback(() => {
    get<{ items: Share[] }>(base).then(
      (page) => setShares(page.items),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(refusal(t, error));
      },
    );
  }, [base, t]);
  useEffect(load, [load]);

  const stop = async (share: Share, name: string) => {
    setFailed(null);
    try {
      await request(`${base}/${encodeURIComponent(share.id)}`, { method: "DELETE" });
      setStatus(t("sharing.stopped", { name }));
      load();
    } catch (error) {
      setFailed(refusal(t, error));
    }
  };

  if (!shares && failed) return <p className="form-error">{failed}</p>;
  if (!shares) return <div className="loading" aria-busy="true" />;
  return (
    <div className="record-shares">
      <p className="hint">{t("sharing.intro")}</p>
      {shares.length ? (
        <table className="simple-table" data-part="shares">
          <thead>
            <tr>
              <th scope="col">{t("sharing.who")}</th>
              <th scope="col">{t("sharing.access")}</th>
              <th scope="col">{t("sharing.since")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("sharing.stop", { name: "" })}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shares.map((share) => (
              <ShareRow key={share.id} share={share} onStop={stop} />
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted empty-note">{t("sharing.none")}</p>
      )}
      <ShareForm
        base={base}
        onShared={(name) => {
          setFailed(null);
          setStatus(t("sharing.shared", { name }));
          load();
        }}
        onFailed={(error) => setFailed(refusal(t, error))}
      />
      {failed && (
        <p className="form-error" role="alert">
          {failed}
        </p>
      )}
      {status && !failed && (
        <p className="notice" role="status">
          {status}
        </p>
      )}
    </div>
  );
}

function ShareRow({ share, onStop }: { share: Share; onStop: (share: Share, name: string) => void }) {
  const t = useT();
  const userName = useLookupName(share.user_id ? "users" : null, share.user_id);
  const teamName = useLookupName(share.team_id ? "teams" : null, share.team_id);
  const name = (share.user_id ? userName : teamName) ?? share.user_id ?? share.team_id ?? "";
  return (
    <tr data-share={share.id}>
      <td>
        {name}
        {share.team_id ? <span className="muted"> · {t("sharing.team")}</span> : null}
      </td>
      <td>{t(`sharing.access.${share.access}`)}</td>
      <td>{t.dateTime(share.created_at)}</td>
      <td>
        <button type="button" className="button small ghost" onClick={() => onStop(share, name)}>
          {t("sharing.stop", { name })}
        </button>
      </td>
    </tr>
  );
}

interface FormProps {
  base: string;
  onShared: (name: string) => void;
  onFailed: (error: unknown) => void;
}

function ShareForm({ base, onShared, onFailed }: FormProps) {
  const t = useT();
  const ids = { kind: useId(), who: useId(), access: useId() };
  const [kind, setKind] = useState<Kind>("user");
  const [who, setWho] = useState<{ id: string; name: string } | null>(null);
  const [access, setAccess] = useState<Access>("read");
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!who) return;
    setBusy(true);
    try {
      const body = kind === "user" ? { user_id: who.id, access } : { team_id: who.id, access };
      await request(base, { method: "POST", body });
      onShared(who.name);
      setWho(null);
    } catch (error) {
      onFailed(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="share-form" onSubmit={submit} aria-label={t("sharing.with")}>
      <div className="field">
        <label className="field-label" htmlFor={ids.kind}>
          {t("sharing.with")}
        </label>
        <select
          id={ids.kind}
          value={kind}
          onChange={(e) => {
            setKind(e.target.value as Kind);
            setWho(null);
          }}
        >
          <option value="user">{t("sharing.kind.user")}</option>
          <option value="team">{t("sharing.kind.team")}</option>
        </select>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={ids.who}>
          {kind === "user" ? t("sharing.user") : t("sharing.team")}
        </label>
        <LookupPicker
          key={kind}
          id={ids.who}
          lookup={kind === "user" ? "users" : "teams"}
          value={who?.id ?? null}
          onChange={(id, name) => setWho(id ? { id, name: name ?? id } : null)}
        />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={ids.access}>
          {t("sharing.access")}
        </label>
        <select id={ids.access} value={access} onChange={(e) => setAccess(e.target.value as Access)}>
          <option value="read">{t("sharing.access.read")}</option>
          <option value="edit">{t("sharing.access.edit")}</option>
        </select>
      </div>
      <button type="submit" className="button primary" disabled={busy || !who}>
        {t("sharing.share")}
      </button>
    </form>
  );
}
