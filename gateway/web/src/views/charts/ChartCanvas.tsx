// One chart drawn by Chart.js, which is loaded the first time a chart is shown (its own
// chunk, never in the shell's bundle). Colours come from the theme's CSS variables, so a
// chart reads in light and dark; numbers in the axis are in the user's locale.
import { useEffect, useRef, useState } from "react";
import type { Chart as ChartType, ChartConfiguration } from "chart.js";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";

export type DrawnKind = "bar" | "line" | "pie" | "funnel";

export interface CanvasSeries {
  label: string;
  values: Array<number | null>;
}

interface Props {
  kind: DrawnKind;
  labels: string[];
  series: CanvasSeries[];
  /** What the chart shows, read by screen readers (the canvas itself says nothing). */
  label: string;
  /** A click on point `index` of series `series`. */
  onPick?: (index: number, series: number) => void;
  height?: number;
}

let library: Promise<typeof import("chart.js/auto")> | null = null;
const loadLibrary = () => (library ??= import("chart.js/auto"));

/** The theme's colours as the browser has them now. */
function themeColours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    accent: read("--accent", "#2563eb"),
    text: read("--text", "#1c2230"),
    muted: read("--muted", "#667085"),
    border: read("--border", "#e3e6eb"),
    surface: read("--surface", "#ffffff"),
  };
}

// Distinct hues that keep their contrast on a light and a dark surface; the accent first.
const PALETTE = ["#0d9488", "#d97706", "#7c3aed", "#db2777", "#16a34a", "#0891b2", "#dc2626", "#65a30d", "#9333ea"];

export function paletteFor(accent: string, count: number): string[] {
  const colours = [accent, ...PALETTE.filter((c) => c.toLowerCase() !== accent.toLowerCase())];
  return Array.from({ length: count }, (_, i) => colours[i % colours.length]);
}

export function ChartCanvas({ kind, labels, series, label, onPick, height = 260 }: Props) {
  const t = useT();
  const { appearance } = useSession();
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartType | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const [failed, setFailed] = useState(false);
  const data = JSON.stringify({ kind, labels, series });

  useEffect(() => {
    let cancelled = false;
    loadLibrary().then(
      ({ default: Chart }) => {
        if (cancelled || !canvas.current) return;
        chart.current?.destroy();
        const colours = themeColours();
        const pie = kind === "pie";
        const hues = paletteFor(colours.accent, pie ? labels.length : series.length);
        const number = new Intl.NumberFormat(t.locale, { maximumFractionDigits: 2 });
        // Counts have no halves: whole steps on the axis when every value is whole.
        const whole = series.every((s) => s.values.every((v) => v === null || Number.isInteger(v)));
        const indexAxis = { ticks: { color: colours.muted }, grid: { color: colours.border } };
        const valueAxis = { ...indexAxis, ticks: { color: colours.muted, precision: whole ? 0 : undefined }, beginAtZero: true };
        const config: ChartConfiguration = {
          type: pie ? "pie" : kind === "line" ? "line" : "bar",
          data: {
            labels,
            datasets: series.map((s, j) => ({
              label: s.label,
              data: s.values,
              backgroundColor: pie ? hues : kind === "line" ? hues[j] : `${hues[j]}cc`,
              borderColor: pie ? colours.surface : hues[j],
              borderWidth: pie ? 2 : kind === "line" ? 2 : 0,
              tension: 0.25,
              spanGaps: true,
            })),
          },
          options: {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            locale: t.locale,
            // A funnel is bars lying down, widest first.
            indexAxis: kind === "funnel" ? "y" : "x",
            color: colours.text,
            borderColor: colours.border,
            plugins: {
              legend: { display: pie || series.length > 1, labels: { color: colours.text } },
              tooltip: {
                callbacks: {
                  label: (item) => `${item.dataset.label ?? ""}: ${number.format(Number(item.raw ?? 0))}`,
                },
              },
            },
            scales: pie ? {} : kind === "funnel" ? { x: valueAxis, y: indexAxis } : { x: indexAxis, y: valueAxis },
            onClick: (_event, elements) => {
              const hit = elements[0];
              if (hit) pick.current?.(hit.index, hit.datasetIndex);
            },
            onHover: (event, elements) => {
              const target = event.native?.target as HTMLElement | undefined;
              if (target) target.style.cursor = elements.length && pick.current ? "pointer" : "default";
            },
          },
        };
        // Where each figure of the first series is drawn, on the canvas: what a click on
        // it (and a browser test) aims at.
        config.plugins = [
          {
            id: "ospreyPoints",
            afterRender: (drawn) => {
              const points = drawn.getDatasetMeta(0).data.map((element, i) => {
                const { x, y, base } = element.getProps(["x", "y", "base"], true) as { x: number; y: number; base?: number };
                const middle = pie ? element.tooltipPosition(true) : { x: base !== undefined && kind === "funnel" ? (x + base) / 2 : x, y: base !== undefined && kind !== "funnel" ? (y + base) / 2 : y };
                return { label: labels[i], x: Math.round(middle.x ?? x), y: Math.round(middle.y ?? y) };
              });
              drawn.canvas.dataset.points = JSON.stringify(points);
              drawn.canvas.dataset.drawn = "true";
            },
          },
        ];
        chart.current = new Chart(canvas.current, config);
      },
      () => !cancelled && setFailed(true),
    );
    return () => {
      cancelled = true;
    };
  }, [data, appearance.theme, appearance.accent, t.locale]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => () => chart.current?.destroy(), []);

  if (failed) return <p className="form-error">{t("charts.failed")}</p>;
  return (
    <div className="chart-canvas" style={{ height }}>
      <canvas ref={canvas} role="img" aria-label={label} data-kind={kind} />
    </div>
  );
}
