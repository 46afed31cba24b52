// A self-contained HTML training report: curves, metrics, confusion matrix and per-class gate weights, inline SVG only.

import type { ClassificationReport } from './metrics.ts';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface ReportInput {
  title: string;
  modelKind: string;
  history: EpochRecord[];
  test: ClassificationReport;
  /** Mean gate weight per true class: gates[c][e] for expert e (MoE models only). */
  gateByClass?: { experts: string[]; weights: number[][] };
  config: Record<string, unknown>;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A line chart of several series over epochs. */
function lineChart(title: string, series: { name: string; color: string; values: number[] }[], percent: boolean): string {
  const W = 460;
  const H = 240;
  const pad = { l: 52, r: 12, t: 28, b: 36 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  if (all.length === 0) return '';
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number): number => pad.l + (n <= 1 ? 0 : (i * (W - pad.l - pad.r)) / (n - 1));
  const y = (v: number): number => pad.t + ((hi - v) * (H - pad.t - pad.b)) / (hi - lo);
  const fmt = (v: number): string => (percent ? `${(100 * v).toFixed(1)}%` : v.toFixed(3));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const grid = ticks
    .map((v) => `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/><text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`)
    .join('');
  const lines = series
    .map((s) => {
      const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>` + s.values.map((v, i) => `<circle cx="${x(i)}" cy="${y(v)}" r="2.5" fill="${s.color}"><title>${s.name} epoch ${i + 1}: ${fmt(v)}</title></circle>`).join('');
    })
    .join('');
  const legend = series.map((s, i) => `<rect x="${pad.l + i * 110}" y="8" width="12" height="3" fill="${s.color}"/><text x="${pad.l + 16 + i * 110}" y="13">${escapeHtml(s.name)}</text>`).join('');
  const xLabels = Array.from({ length: n }, (_, i) => i)
    .filter((i) => n <= 12 || i % Math.ceil(n / 12) === 0)
    .map((i) => `<text x="${x(i)}" y="${H - pad.b + 16}" text-anchor="middle">${i + 1}</text>`)
    .join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" font-family="sans-serif">${grid}${lines}${legend}${xLabels}<text x="${(W + pad.l) / 2}" y="${H - 4}" text-anchor="middle">epoch</text></svg></figure>`;
}

/** The confusion matrix as a heat map, rows normalised by support (counts in the cells). */
function confusionMatrix(report: ClassificationReport): string {
  const names = report.perClass.map((m) => m.name);
  const C = names.length;
  const cell = Math.max(18, Math.min(40, Math.floor(560 / Math.max(C, 1))));
  const left = 12 + 7 * Math.max(...names.map((s) => s.length));
  const top = left;
  const W = left + C * cell + 10;
  const H = top + C * cell + 10;
  const cells: string[] = [];
  report.confusion.forEach((row, i) => {
    const support = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, j) => {
      const share = v / support;
      const color = i === j ? `rgba(34,139,34,${0.12 + 0.88 * share})` : `rgba(200,40,40,${share === 0 ? 0 : 0.12 + 0.88 * share})`;
      cells.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${color}"><title>true ${escapeHtml(names[i])}, predicted ${escapeHtml(names[j])}: ${v} (${(100 * share).toFixed(1)}%)</title></rect>`);
      if (v > 0 && cell >= 22) cells.push(`<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle">${v}</text>`);
    });
  });
  const rowLabels = names.map((s, i) => `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeHtml(s)}</text>`).join('');
  const colLabels = names.map((s, j) => `<text transform="translate(${left + j * cell + cell / 2 + 4},${top - 6}) rotate(-90)">${escapeHtml(s)}</text>`).join('');
  return `<figure><figcaption>Confusion matrix on the test split (rows: true class, columns: predicted)</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="10" font-family="sans-serif">${cells.join('')}${rowLabels}${colLabels}</svg></figure>`;
}

/** Stacked horizontal bars: the mean gate weight of each expert, per true class. */
function gateChart(gates: NonNullable<ReportInput['gateByClass']>, names: string[]): string {
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
  const left = 12 + 7 * Math.max(...names.map((s) => s.length));
  const barW = 360;
  const rowH = 18;
  const H = 30 + names.length * rowH;
  const rows = gates.weights
    .map((w, c) => {
      let x = left;
      return w
        .map((share, e) => {
          const rect = `<rect x="${x}" y="${26 + c * rowH}" width="${share * barW}" height="${rowH - 3}" fill="${colors[e % colors.length]}"><title>${escapeHtml(names[c])}: ${escapeHtml(gates.experts[e])} ${(100 * share).toFixed(1)}%</title></rect>`;
          x += share * barW;
          return rect;
        })
        .join('') + `<text x="${left - 6}" y="${26 + c * rowH + 12}" text-anchor="end">${escapeHtml(names[c])}</text>`;
    })
    .join('');
  const legend = gates.experts.map((e, i) => `<rect x="${left + i * 90}" y="6" width="12" height="10" fill="${colors[i % colors.length]}"/><text x="${left + 16 + i * 90}" y="15">${escapeHtml(e)}</text>`).join('');
  return `<figure><figcaption>Mean gate weight per true class: which expert the model trusts for which traffic</figcaption><svg viewBox="0 0 ${left + barW + 10} ${H}" width="${left + barW + 10}" height="${H}" font-size="10" font-family="sans-serif">${legend}${rows}</svg></figure>`;
}

export function renderReport(input: ReportInput): string {
  const { history, test } = input;
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  const perClassRows = test.perClass
    .map((m) => `<tr><td>${escapeHtml(m.name)}</td><td>${pct(m.precision)}</td><td>${pct(m.recall)}</td><td>${pct(m.f1)}</td><td>${m.support}</td></tr>`)
    .join('');
  const epochRows = history
    .map((h) => `<tr><td>${h.epoch}</td><td>${h.trainLoss.toFixed(4)}</td><td>${pct(h.trainAccuracy)}</td><td>${h.valLoss.toFixed(4)}</td><td>${pct(h.valAccuracy)}</td><td>${h.seconds.toFixed(1)}</td><td>${Math.round(h.samplesPerSecond)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:1em 1em 1em 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}.kpi{font-size:1.3em}pre{background:#f6f6f6;padding:8px;overflow:auto}</style>
</head><body>
<h1>${escapeHtml(input.title)}</h1>
<p class="kpi">Test accuracy <b>${pct(test.accuracy)}</b> · macro-F1 <b>${pct(test.macroF1)}</b> · weighted-F1 <b>${pct(test.weightedF1)}</b> · ${test.total} test flows · model <b>${escapeHtml(input.modelKind)}</b></p>
${lineChart('Loss per epoch', [{ name: 'train', color: '#4e79a7', values: history.map((h) => h.trainLoss) }, { name: 'validation', color: '#e15759', values: history.map((h) => h.valLoss) }], false)}
${lineChart('Accuracy per epoch', [{ name: 'train', color: '#4e79a7', values: history.map((h) => h.trainAccuracy) }, { name: 'validation', color: '#e15759', values: history.map((h) => h.valAccuracy) }], true)}
${input.gateByClass ? gateChart(input.gateByClass, test.perClass.map((m) => m.name)) : ''}
${confusionMatrix(test)}
<h2>Per-class metrics (test split)</h2>
<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${perClassRows}</table>
<h2>Epochs</h2>
<table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>seconds</th><th>samples/s</th></tr>${epochRows}</table>
<h2>Configuration</h2>
<pre>${escapeHtml(JSON.stringify(input.config, null, 2))}</pre>
</body></html>
`;
}
