// What the users, teams and roles pages share: the records' shapes, their readable
// names, and the refusals of identity said in the user's language.
import { ApiError } from "../../core/api";
import { rememberName } from "../../core/lookup";
import type { Translator } from "../../i18n";
import { problemText } from "../../views/Dialog";

export interface AdminUser {
  id: string;
  email: string;
  full_name: string;
  role_ids: string[];
  roles: string[];
  team_id: string | null;
  is_active: boolean;
  created_at?: string;
  updated_at?: string;
  /** Only in the answer to an invitation or a reset, once. */
  temporary_password?: string | null;
}

export interface Team {
  id: string;
  name: string;
  manager_id: string | null;
  user_count?: number;
}

export interface Role {
  id: string;
  name: string;
  permissions: string[];
}

/** The seeded roles in the order people think of them; any other after, by name. */
const ROLE_ORDER = ["admin", "sales_manager", "sales_rep"];

export function sortRoles(roles: Role[]): Role[] {
  const rank = (r: Role) => (ROLE_ORDER.includes(r.name) ? ROLE_ORDER.indexOf(r.name) : ROLE_ORDER.length);
  return [...roles].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export function roleLabel(t: Translator, name: string): string {
  return t.has(`roles.name.${name}`) ? t(`roles.name.${name}`) : name;
}

export function permissionLabel(t: Translator, permission: string): string {
  return t.has(`perm.${permission}`) ? t(`perm.${permission}`) : permission;
}

/** Where a permission belongs on the roles page. */
export function permissionGroup(permission: string): "sections" | "records" | "administration" {
  if (permission.startsWith("records.")) return "records";
  if (permission.endsWith(".read") && !["users.read", "roles.read"].includes(permission)) return "sections";
  return "administration";
}

/** Other screens name teams from a cache: keep it right after a change here. */
export function rememberTeam(team: Team): void {
  rememberName("teams", team.id, team.name);
}

/** A refusal as the user reads it, in their language where identity's reason is known. */
export function explainRefusal(t: Translator, error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return t("people.forbidden");
    const first = error.errors[0];
    if (error.status === 409 && first?.field === "is_active") return t("users.cannotDeactivateSelf");
    if (error.status === 409 && first?.field === "role_ids") return t("users.lastAdmin");
    if (error.status === 409 && first?.field === "email") return t("users.emailTaken");
    if (error.status === 409 && first?.field === "name") return t("teams.nameTaken");
    if (error.status === 409 && first?.field === "users") {
      return t("teams.notEmpty", { names: first.message.replace(/^still in the team: /, "") });
    }
    if (error.status === 404) return t("people.gone");
    if (error.status === 409 && error.detail) return error.detail;
  }
  return problemText(error, t("error.saveFailedRecord"));
}
