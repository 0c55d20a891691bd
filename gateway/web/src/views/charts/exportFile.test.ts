import { describe, expect, it } from "vitest";
import { dispositionName } from "./exportFile";

describe("the name an exported file is saved under", () => {
  it("is the UTF-8 name when the server gives one", () => {
    expect(dispositionName(`attachment; filename="___ ___.xlsx"; filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20%D0%B0.xlsx`, "x.xlsx")).toBe("Отчёт а.xlsx");
  });
  it("falls back to the plain name, then to the default", () => {
    expect(dispositionName('attachment; filename="Deals.xlsx"', "x.xlsx")).toBe("Deals.xlsx");
    expect(dispositionName("attachment; filename*=UTF-8''%E0%A4%A", "x.xlsx")).toBe("x.xlsx");
    expect(dispositionName(null, "x.xlsx")).toBe("x.xlsx");
  });
});
