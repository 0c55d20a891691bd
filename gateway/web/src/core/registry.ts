// The section and tab registries. A section is a folder `sections/<id>/` whose
// `section.ts` default-exports a SectionDef; a record tab is `tabs/<id>/tab.ts`
// default-exporting a TabDef. Both are found at build time, so adding one never
// edits the shell.
import type { ComponentType, LazyExoticComponent } from "react";
import { addMessages, type LocaleMessages } from "../i18n";
import type { EntityRecord } from "./meta";

export interface SectionProps {
  section: SectionDef;
  /** The path below the section's route, split into segments. */
  subpath: string[];
}

export interface SectionDef {
  id: string;
  /** Catalogue key of the menu label. */
  labelKey: string;
  /** SVG path data (24×24 viewBox, stroked) for the menu icon. */
  icon: string;
  /** Where the section lives, e.g. "/leads". */
  route: string;
  /** The permission a user needs to see it (null: everyone signed in). */
  permission: string | null;
  /** Instead of a permission: any of these roles (admins always qualify). */
  roles?: string[];
  /** Position in the menu (smaller first). */
  order: number;
  component: LazyExoticComponent<ComponentType<SectionProps>>;
  messages?: LocaleMessages;
}

export interface TabProps {
  entity: string;
  record: EntityRecord;
  reload: () => void;
}

export interface TabDef {
  id: string;
  labelKey: string;
  order: number;
  /** Whether the tab belongs on this entity's record page. */
  appliesTo: (entity: string) => boolean;
  component: LazyExoticComponent<ComponentType<TabProps>>;
  messages?: LocaleMessages;
}

function collect<T extends { order: number; messages?: LocaleMessages }>(
  modules: Record<string, { default: T }>,
): T[] {
  const defs = Object.values(modules).map((module) => module.default);
  for (const def of defs) if (def.messages) addMessages(def.messages);
  return defs.sort((a, b) => a.order - b.order);
}

export const SECTIONS: SectionDef[] = collect(
  import.meta.glob<{ default: SectionDef }>("../sections/*/section.ts", { eager: true }),
);

export const TABS: TabDef[] = collect(
  import.meta.glob<{ default: TabDef }>("../tabs/*/tab.ts", { eager: true }),
);

export interface Grants {
  roles?: string[];
  permissions?: string[];
}

/** Admins see everything; others need the named permission (or "*"). */
export function allowed(user: Grants | null, permission: string | null): boolean {
  if (!user) return false;
  if (permission === null) return true;
  if (user.roles?.includes("admin")) return true;
  const granted = user.permissions ?? [];
  return granted.includes("*") || granted.includes(permission);
}

/** Whether the user has one of the roles (admins have them all). */
export function hasRole(user: Grants | null, roles: string[]): boolean {
  if (!user) return false;
  return (user.roles ?? []).some((role) => role === "admin" || roles.includes(role));
}

/** Whether the user sees a section: its roles when it names some, else its permission. */
export function sectionAllowed(user: Grants | null, section: Pick<SectionDef, "permission" | "roles">): boolean {
  return section.roles ? hasRole(user, section.roles) : allowed(user, section.permission);
}

export function visibleSections(user: Grants | null, all: SectionDef[] = SECTIONS): SectionDef[] {
  return all.filter((section) => sectionAllowed(user, section));
}
