import { describe, expect, it } from "vitest";
import { allowed } from "./registry";

describe("who sees a section", () => {
  it("lets admins see everything and others only what they are granted", () => {
    expect(allowed({ roles: ["admin"], permissions: [] }, "leads.read")).toBe(true);
    expect(allowed({ roles: ["sales_rep"], permissions: ["leads.read"] }, "leads.read")).toBe(true);
    expect(allowed({ roles: ["sales_rep"], permissions: ["accounts.read"] }, "leads.read")).toBe(false);
    expect(allowed({ roles: [], permissions: ["*"] }, "leads.read")).toBe(true);
    expect(allowed({ roles: [], permissions: [] }, null)).toBe(true);
    expect(allowed(null, null)).toBe(false);
  });
});
