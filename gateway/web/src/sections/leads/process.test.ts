import { describe, expect, it } from "vitest";
import { groupCandidates, isManager, keptLead, movableStages, nextStep, scoreReasons } from "./process";

describe("the lead's next step", () => {
  it("is one action per stage, reopening only for managers", () => {
    expect(nextStep("qualification", false)).toBe("qualify");
    expect(nextStep("nurturing", false)).toBe("qualify");
    expect(nextStep("distribution", false)).toBe("assign");
    expect(nextStep("handoff", false)).toBe("handoff");
    expect(nextStep("awaiting_sale", false)).toBe("wait");
    expect(nextStep("converted", true)).toBe("reopen");
    expect(nextStep("disqualified", false)).toBe("closed");
  });

  it("lets an open lead move anywhere open by hand, a closed one nowhere", () => {
    expect(movableStages("qualification")).toEqual(["distribution", "handoff", "awaiting_sale", "nurturing"]);
    expect(movableStages("handoff")).toContain("qualification");
    expect(movableStages("converted")).toEqual([]);
    expect(movableStages("disqualified")).toEqual([]);
  });

  it("knows managers by role", () => {
    expect(isManager({ roles: ["sales_manager"] })).toBe(true);
    expect(isManager({ roles: ["admin"] })).toBe(true);
    expect(isManager({ roles: ["sales_rep"], permissions: ["*"] })).toBe(false);
    expect(isManager(null)).toBe(false);
  });
});

describe("duplicates and merges", () => {
  it("groups candidates into contacts and accounts", () => {
    const groups = groupCandidates([
      { entity: "account", record: { id: "a" }, reasons: [] },
      { entity: "contact", record: { id: "c" }, reasons: [] },
      { entity: "contact", record: { id: "d" }, reasons: [] },
    ]);
    expect(groups.contact.map((c) => c.record.id)).toEqual(["c", "d"]);
    expect(groups.account.map((c) => c.record.id)).toEqual(["a"]);
  });

  it("keeps the oldest lead", () => {
    const leads = [
      { id: "b", created_at: "2026-03-02T10:00:00Z" },
      { id: "a", created_at: "2026-03-01T10:00:00Z" },
      { id: "c", created_at: "2026-03-01T10:00:00Z" },
    ];
    expect(keptLead(leads)?.id).toBe("a");
    expect(keptLead([])).toBeUndefined();
  });

  it("reads score reasons defensively", () => {
    expect(scoreReasons([{ rule_id: "r", name: "Big", points: 20 }, { name: 3 }, null])).toEqual([{ rule_id: "r", name: "Big", points: 20 }]);
    expect(scoreReasons(null)).toEqual([]);
  });
});
