// Making and renaming a role (administrators): POST /roles {name, based_on?} and
// PATCH /roles/{id} {name}. The server checks the name again; its refusals are said in
// the user's language where their reason is known (a name taken, a reserved one, a role
// still held, one of Osprey's own).
import { useState } from "react";
import { ApiError, request } from "../../core/api";
import { addMessages, useT, type Translator } from "../../i18n";
import { problemText } from "../../views/Dialog";
import rolesMessages from "./messages.roles";
import { type Role, roleLabel } from "./people";

addMessages(rolesMessages);

/** Osprey's own roles: its defaults name them, so they keep their names and stay. */
export const SEEDED_ROLES = new Set(["admin", "sales_manager", "sales_rep"]);

/** A refusal about a role as the user reads it. */
export function explainRoleRefusal(t: Translator, error: unknown, roleName = ""): string {
  if (error instanceof ApiError) {
    const first = error.errors[0];
    if (error.status === 403) return t("people.forbidden");
    if (error.status === 404) return t("people.gone");
    if (error.status === 409 && first?.field === "name") return t("roles.nameTaken");
    if (error.status === 409 && first?.field === "role_id") return t("roles.seeded");
    if (error.status === 409 && first?.field === "users") {
      return t("roles.inUse", { name: roleName, names: first.message.replace(/^still hold the role: /, "") });
    }
    if (error.status === 422 && first?.field === "name" && /reserved/.test(first.message)) return t("roles.reserved");
  }
  return problemText(error, t("error.saveFailedRecord"));
}

export function RoleForm({
  role,
  roles,
  onDone,
  onCancel,
}: {
  /** the role renamed; null: a new one */
  role: Role | null;
  roles: Role[];
  onDone: (role: Role) => void;
  onCancel: () => void;
}) {
  const t = useT();
  const [name, setName] = useState(role?.name ?? "");
  const [basedOn, setBasedOn] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title = role ? t("roles.renameTitle", { name: roleLabel(t, role.name) }) : t("roles.newTitle");

  const save = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const response = role
        ? await request<Role>(`/roles/${encodeURIComponent(role.id)}`, { method: "PATCH", body: { name: name.trim() } })
        : await request<Role>("/roles", { method: "POST", body: { name: name.trim(), based_on: basedOn || null } });
      onDone(response.data);
    } catch (error) {
      setProblem(explainRoleRefusal(t, error, role?.name));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="admin-form card"
      aria-label={title}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h3 className="subhead">{title}</h3>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <div className="field-grid">
        <label className="field">
          <span className="field-label">{t("roles.name")}</span>
          <input value={name} required maxLength={50} autoFocus onChange={(e) => setName(e.target.value)} />
        </label>
        {!role && (
          <label className="field">
            <span className="field-label">{t("roles.basedOn")}</span>
            <select value={basedOn} onChange={(e) => setBasedOn(e.target.value)}>
              <option value="">{t("roles.basedOnNone")}</option>
              {roles.map((r) => (
                <option key={r.id} value={r.id}>
                  {roleLabel(t, r.name)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onCancel}>
          {t("action.cancel")}
        </button>
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          {role ? t("action.save") : t("action.create")}
        </button>
      </div>
    </form>
  );
}
