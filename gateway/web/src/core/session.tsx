// Who is signed in, their server-side preferences, and the actions on both.
import { createContext, useContext } from "react";
import type { Locale } from "../i18n";

export interface User {
  id: string;
  email: string;
  full_name: string | null;
  roles: string[];
  permissions: string[];
  team_id: string | null;
  locale: string | null;
  theme: string | null;
  accent_color?: string | null;
  /** A password somebody else made: the user chooses their own before anything else. */
  password_change_required?: boolean;
}

export type Theme = "light" | "dark";

export interface Appearance {
  theme: Theme;
  accent: string;
  locale: Locale;
}

export interface Session {
  user: User;
  prefs: Record<string, unknown>;
  appearance: Appearance;
  /** Store one preference on the server (and at once locally). */
  setPref: (key: string, value: unknown) => Promise<void>;
  /** Change theme, accent colour or language (saved on the user). */
  setAppearance: (change: Partial<Appearance>) => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in shell");
  return session;
}

export function usePref<T>(key: string): [T | undefined, (value: T) => Promise<void>] {
  const session = useSession();
  return [session.prefs[key] as T | undefined, (value: T) => session.setPref(key, value)];
}

export const DEFAULT_ACCENT = "#2563eb";
export const ACCENTS = ["#2563eb", "#0d9488", "#7c3aed", "#db2777", "#ea580c", "#475569"];

export function isTheme(value: unknown): value is Theme {
  return value === "light" || value === "dark";
}

export function isColour(value: unknown): value is string {
  return typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value);
}

/** Paint the page: data-theme on <html>, the accent as a CSS variable, the language. */
export function applyAppearance(appearance: Appearance): void {
  const root = document.documentElement;
  root.dataset.theme = appearance.theme;
  root.style.setProperty("--accent", appearance.accent);
  root.lang = appearance.locale;
  localStorage.setItem("osprey.theme", appearance.theme);
  localStorage.setItem("osprey.accent", appearance.accent);
  localStorage.setItem("osprey.locale", appearance.locale);
}

/** What the sign-in page looks like: the last user's choice on this browser, else the system's. */
export function rememberedAppearance(locale: Locale): Appearance {
  const theme = localStorage.getItem("osprey.theme");
  const accent = localStorage.getItem("osprey.accent");
  return {
    theme: isTheme(theme)
      ? theme
      : window.matchMedia?.("(prefers-color-scheme: dark)").matches
        ? "dark"
        : "light",
    accent: isColour(accent) ? accent : DEFAULT_ACCENT,
    locale,
  };
}
