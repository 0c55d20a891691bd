import { describe, expect, it } from "vitest";
import messages from "./messages";

// The chart words live beside the charts, not in a section, so the catalogue test does
// not find them: the same checks here.
describe("chart messages", () => {
  it("English and Russian have the same keys, none empty, the same placeholders", () => {
    expect(Object.keys(messages.ru).sort()).toEqual(Object.keys(messages.en).sort());
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(messages.en)) {
      expect(text.trim(), key).not.toBe("");
      expect(messages.ru[key].trim(), key).not.toBe("");
      expect(placeholders(messages.ru[key]), key).toEqual(placeholders(text));
    }
  });
});
