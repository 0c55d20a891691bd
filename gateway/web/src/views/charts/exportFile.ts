// A report exported to Excel (POST /reports/export): the file the server makes, saved
// by the browser under the name the server gives it.
import { ApiError, BASE } from "../../core/api";
import type { ReportSpec } from "./spec";

/** The file name of a Content-Disposition header (RFC 6266: `filename*` first). */
export function dispositionName(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // a malformed escape: fall back to the plain name
    }
  }
  const plain = /filename="([^"]*)"/i.exec(header);
  return plain?.[1] || fallback;
}

/** Ask for the report's rows as an .xlsx file and hand it to the browser to save. */
export async function exportReport(spec: ReportSpec, name: string): Promise<string> {
  const query = name.trim() ? `?name=${encodeURIComponent(name.trim())}` : "";
  const response = await fetch(`${BASE}/reports/export${query}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/problem+json" },
    body: JSON.stringify(spec),
    credentials: "same-origin",
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? null, Array.isArray(problem.errors) ? problem.errors : [], problem);
  }
  const filename = dispositionName(response.headers.get("Content-Disposition"), "report.xlsx");
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return filename;
}
