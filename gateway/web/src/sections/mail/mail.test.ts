import { describe, expect, it } from "vitest";
import { disarmHandlers } from "./safeHtml";
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

describe("a mail's event handlers", () => {
  it("are renamed inside tags before the HTML is parsed, and the text is left alone", () => {
    const html = `<p onclick="alert(1)" class=x>Say onclick=hello</p><img/onerror='x()' src=a><b ONMOUSEOVER = y>`;
    expect(disarmHandlers(html)).toBe(
      `<p data-dropped-onclick="alert(1)" class=x>Say onclick=hello</p><img/data-dropped-onerror='x()' src=a><b data-dropped-onMOUSEOVER = y>`,
    );
  });

  it("keeps attributes that only begin with on, such as a name", () => {
    expect(disarmHandlers(`<a title="one" data-on="1" href="#">x</a>`)).toBe(`<a title="one" data-on="1" href="#">x</a>`);
  });
});
