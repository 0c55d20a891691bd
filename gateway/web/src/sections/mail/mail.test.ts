import { describe, expect, it } from "vitest";
import { contactFields, failedSendId, mergeFields, splitAddresses } from "./api";
import { ApiError } from "../../core/api";

describe("merge fields", () => {
  const context = { contact: contactFields({ full_name: "Carla Maria Customer", emails: [{ email: "c@x.test" }, { email: "p@x.test", is_primary: true }] }), user: { full_name: "Ann" } };

  it("fills known fields the way the server does", () => {
    expect(mergeFields("Dear {{contact.first_name}} {{ contact.last_name }} <{{contact.email}}>, {{user.full_name}}", context)).toBe(
      "Dear Carla Maria Customer <p@x.test>, Ann",
    );
  });

  it("empties a known record's missing field and leaves unknown records to the server", () => {
    expect(mergeFields("{{contact.title}}|{{account.name}}", context)).toBe("|{{account.name}}");
  });
});

describe("addresses", () => {
  it("splits on commas, semicolons and spaces", () => {
    expect(splitAddresses(" a@x.test, b@x.test;c@x.test  d@x.test ,")).toEqual(["a@x.test", "b@x.test", "c@x.test", "d@x.test"]);
  });
});

describe("a failed send", () => {
  it("is recognised by its kept send id on a 503 only", () => {
    const errors = [
      { field: "smtp", message: "refused" },
      { field: "send_id", message: "s-1" },
    ];
    expect(failedSendId(new ApiError(503, "Unavailable", "x", errors))).toBe("s-1");
    expect(failedSendId(new ApiError(422, "Invalid", "x", errors))).toBeNull();
  });
});
