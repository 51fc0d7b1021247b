/**
 * The Prometheus text exposition format (version 0.0.4): metric families with their help and type, each
 * sample with its labels. Only what dockpulse serves: gauges and counters, no timestamps (a series that is
 * not in a scrape then goes stale at once in Prometheus, as a removed container's should).
 */

/** One labelled value: its labels, or (for labels shared by many families) the `{…}` text `renderLabels` made of them. */
export interface MetricSample {
  labels?: Readonly<Record<string, string>> | RenderedLabels;
  value: number;
}

/** Labels rendered once, for a series whose labels recur in several families. */
export interface RenderedLabels {
  readonly rendered: string;
}

/** Renders labels as `{k="v",…}` once, to be given to many samples. */
export function renderLabels(labels: Readonly<Record<string, string>>): RenderedLabels {
  let text = '';
  for (const [k, v] of Object.entries(labels)) text += `${text === '' ? '' : ','}${k}="${escapeLabel(v)}"`;
  return { rendered: text === '' ? '' : `{${text}}` };
}

/** One metric family. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: readonly MetricSample[];
}

/** A label value as the format writes it: backslash, double quote and line feed escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Help text as the format writes it: backslash and line feed escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A value as the format writes it: `NaN`, `+Inf`, `-Inf`, or the number. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Renders families; one with no samples is left out. */
export function renderExposition(families: readonly MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      const labels = s.labels === undefined ? '' : 'rendered' in s.labels ? s.labels.rendered : renderLabels(s.labels).rendered;
      out += `${f.name}${labels} ${formatValue(s.value)}\n`;
    }
  }
  return out;
}
