import { describe, expect, it } from "vitest";
import messages from "./messages";

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

describe("Google settings messages", () => {
  it("has the same keys and placeholders in English and Russian", () => {
    expect(Object.keys(messages.ru).sort()).toEqual(Object.keys(messages.en).sort());
    for (const key of Object.keys(messages.en)) {
      expect(messages.ru[key].trim(), key).not.toBe("");
      expect(placeholders(messages.ru[key]), key).toEqual(placeholders(messages.en[key]));
    }
  });
});
