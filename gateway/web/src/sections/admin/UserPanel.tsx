// One user, beside the list (administrators): their name, team and roles; deactivating
// and reactivating them; and a new password, shown once with a copy button.
import { useEffect, useId, useState } from "react";
import { get, request } from "../../core/api";
import { rememberName } from "../../core/lookup";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { CopyButton } from "./common";
import { type AdminUser, type Role, type Team, explainRefusal, roleLabel } from "./people";

interface Props {
  userId: string;
  teams: Team[];
  roles: Role[];
  onChanged: () => void;
  onClose: () => void;
}

export function UserPanel({ userId, teams, roles, onChanged, onClose }: Props) {
  const t = useT();
  const id = useId();
  const session = useSession();
  const [user, setUser] = useState<AdminUser | null>(null);
  const [fullName, setFullName] = useState("");
  const [teamId, setTeamId] = useState("");
  const [roleIds, setRoleIds] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [temporary, setTemporary] = useState<string | null>(null);
  const self = userId === session.user.id;

  const fill = (u: AdminUser) => {
    setUser(u);
    setFullName(u.full_name);
    setTeamId(u.team_id ?? "");
    setRoleIds(u.role_ids);
    rememberName("users", u.id, u.full_name);
  };

  useEffect(() => {
    get<AdminUser>(`/users/${encodeURIComponent(userId)}`).then(fill, (error) => setProblem(explainRefusal(t, error)));
  }, [userId]); // eslint-disable-line react-hooks/exhaustive-deps

  const act = async (work: () => Promise<AdminUser>, done: string) => {
    setBusy(true);
    setProblem(null);
    setStatus(null);
    try {
      fill(await work());
      setStatus(done);
      onChanged();
    } catch (error) {
      setProblem(explainRefusal(t, error));
    } finally {
      setBusy(false);
    }
  };
  const patch = (body: Record<string, unknown>) => async () =>
    (await request<AdminUser>(`/users/${encodeURIComponent(userId)}`, { method: "PATCH", body })).data;

  const dirty =
    !!user &&
    (fullName.trim() !== user.full_name ||
      teamId !== (user.team_id ?? "") ||
      [...roleIds].sort().join() !== [...user.role_ids].sort().join());

  const save = () =>
    act(patch({ full_name: fullName.trim(), team_id: teamId || null, role_ids: roleIds }), t("record.saved"));

  const setActive = (active: boolean) => {
    if (!user) return;
    if (!active && !window.confirm(t("users.confirmDeactivate", { name: user.full_name }))) return;
    void act(patch({ is_active: active }), active ? t("users.reactivatedNote") : t("users.deactivatedNote"));
  };

  if (!user) {
    return (
      <section className="card user-panel" aria-label={t("users.panel")}>
        {problem ? (
          <p className="banner danger" role="alert">
            {problem}
          </p>
        ) : (
          <div className="loading" aria-busy="true" />
        )}
      </section>
    );
  }

  return (
    <section className="card user-panel" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {user.full_name}
        </h2>
        <button type="button" className="button ghost small" aria-label={t("action.close")} onClick={onClose}>
          <Icon path={ICONS.close} size={16} />
        </button>
      </div>
      <p className="muted small">
        {user.email}
        {!user.is_active && <span className="badge">{t("users.deactivated")}</span>}
      </p>
      {status && (
        <p className="muted" role="status">
          {status}
        </p>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <form
        className="admin-form"
        aria-label={t("users.profile")}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field">
          <span className="field-label">{t("users.name")}</span>
          <input value={fullName} maxLength={200} required onChange={(e) => setFullName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("users.team")}</span>
          <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
            <option value="">{t("users.noTeam")}</option>
            {teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </label>
        <RoleChoice roles={roles} value={roleIds} onChange={setRoleIds} legend={t("users.roles")} />
        <div className="dialog-actions">
          <button type="submit" className="button primary" disabled={busy || !dirty || !fullName.trim()}>
            {t("action.save")}
          </button>
        </div>
      </form>

      <ResetPassword
        user={user}
        busy={busy}
        temporary={temporary}
        onReset={(password) =>
          act(async () => {
            const body = password ? { password } : {};
            const reset = (await request<AdminUser>(`/users/${encodeURIComponent(userId)}/reset-password`, { method: "POST", body })).data;
            setTemporary(reset.temporary_password ?? null);
            return reset;
          }, password ? t("users.passwordSet") : t("users.passwordMade"))
        }
      />

      <h3 className="subhead">{t("users.access")}</h3>
      {user.is_active ? (
        <>
          <p className="muted small">{self ? t("users.selfNoDeactivate") : t("users.deactivateHint")}</p>
          <button type="button" className="button danger-ghost" disabled={busy || self} onClick={() => setActive(false)}>
            {t("users.deactivate")}
          </button>
        </>
      ) : (
        <>
          <p className="muted small">{t("users.reactivateHint")}</p>
          <button type="button" className="button" disabled={busy} onClick={() => setActive(true)}>
            {t("users.reactivate")}
          </button>
        </>
      )}
    </section>
  );
}

function ResetPassword({
  user,
  busy,
  temporary,
  onReset,
}: {
  user: AdminUser;
  busy: boolean;
  temporary: string | null;
  onReset: (password: string | null) => Promise<void>;
}) {
  const t = useT();
  const id = useId();
  const [typed, setTyped] = useState(false);
  const [password, setPassword] = useState("");
  const submit = async () => {
    if (!window.confirm(t("users.confirmReset", { name: user.full_name }))) return;
    await onReset(typed ? password : null);
    setPassword("");
  };
  return (
    <form
      className="admin-form reset-password"
      aria-label={t("users.resetPassword")}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 className="subhead">{t("users.resetPassword")}</h3>
      <p className="muted small">{t("users.resetHint")}</p>
      <fieldset className="plain-fieldset">
        <legend className="visually-hidden">{t("users.password")}</legend>
        <label className="check">
          <input type="radio" name={`${id}-password`} checked={!typed} onChange={() => setTyped(false)} />
          {t("users.passwordMake")}
        </label>
        <label className="check">
          <input type="radio" name={`${id}-password`} checked={typed} onChange={() => setTyped(true)} />
          {t("users.passwordType")}
        </label>
        {typed && (
          <input
            type="password"
            autoComplete="new-password"
            aria-label={t("users.newPassword")}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </fieldset>
      {temporary && <TemporaryPassword password={temporary} />}
      <div className="dialog-actions">
        <button type="submit" className="button" disabled={busy || (typed && !password)}>
          {t("users.resetSubmit")}
        </button>
      </div>
    </form>
  );
}

/** A password Osprey made, shown this once, with a copy button. */
export function TemporaryPassword({ password }: { password: string }) {
  const t = useT();
  return (
    <div className="temporary-password" role="group" aria-label={t("users.temporaryPassword")}>
      <span className="field-label">{t("users.temporaryPassword")}</span>
      <div className="inline-fields">
        <code data-temporary-password>{password}</code>
        <CopyButton text={password} label={t("users.copyPassword")} />
      </div>
      <p className="muted small">{t("users.shownOnce")}</p>
    </div>
  );
}

/** Check boxes of the roles (a user may hold several). */
export function RoleChoice({
  roles,
  value,
  onChange,
  legend,
}: {
  roles: Role[];
  value: string[];
  onChange: (ids: string[]) => void;
  legend: string;
}) {
  const t = useT();
  return (
    <fieldset className="plain-fieldset">
      <legend className="field-label">{legend}</legend>
      <div className="role-choice">
        {roles.map((role) => (
          <label key={role.id} className="check">
            <input
              type="checkbox"
              checked={value.includes(role.id)}
              onChange={(e) => onChange(e.target.checked ? [...value, role.id] : value.filter((x) => x !== role.id))}
            />
            {roleLabel(t, role.name)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
