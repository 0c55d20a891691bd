import { describe, expect, it } from "vitest";
import { allowed, sectionAllowed } from "./registry";

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

describe("sections for roles", () => {
  it("shows a section naming roles to those roles and to admins only", () => {
    const admin = { permission: null, roles: ["sales_manager"] };
    expect(sectionAllowed({ roles: ["sales_manager"], permissions: [] }, admin)).toBe(true);
    expect(sectionAllowed({ roles: ["admin"], permissions: [] }, admin)).toBe(true);
    expect(sectionAllowed({ roles: ["sales_rep"], permissions: ["*"] }, admin)).toBe(false);
    expect(sectionAllowed(null, admin)).toBe(false);
    expect(sectionAllowed({ roles: ["sales_rep"], permissions: ["leads.read"] }, { permission: "leads.read" })).toBe(true);
  });
});
