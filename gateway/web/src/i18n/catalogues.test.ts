import { describe, expect, it } from "vitest";
import en from "./en";
import ru from "./ru";

// Every section's and tab's messages, found the same way the registries find them.
const sectionMessages = import.meta.glob<{ default: { en: Record<string, string>; ru: Record<string, string> } }>(
  ["../sections/*/messages*.ts", "../tabs/*/messages*.ts"],
  { eager: true },
);

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

describe("message catalogues", () => {
  const catalogues = [
    { name: "shell", en, ru },
    ...Object.entries(sectionMessages).map(([path, module]) => ({ name: path, ...module.default })),
  ];

  it.each(catalogues)("$name: English and Russian have the same keys", ({ en: english, ru: russian }) => {
    expect(Object.keys(russian).sort()).toEqual(Object.keys(english).sort());
  });

  it.each(catalogues)("$name: no empty message and the same placeholders", ({ en: english, ru: russian }) => {
    for (const key of Object.keys(english)) {
      expect(english[key].trim(), key).not.toBe("");
      expect(russian[key]?.trim(), key).not.toBe("");
      expect(placeholders(russian[key] ?? ""), key).toEqual(placeholders(english[key]));
    }
  });

  it("finds the leads section's messages", () => {
    expect(catalogues.some((c) => c.name.includes("sections/leads"))).toBe(true);
  });
});
