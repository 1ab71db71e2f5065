/**
 * A Markdown table comparing a subject (Parley) with a reference peer
 * measured in the same run, with the ratio and which way is better.
 */

export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
}

type Results = Readonly<Record<string, number>>;

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function comparisonTable(
  metrics: readonly Metric[],
  subject: { readonly name: string; readonly results: Results },
  reference: { readonly name: string; readonly results: Results },
): string {
  const lines = [
    `| metric | what | ${subject.name} | ${reference.name} | ${subject.name} / ${reference.name} | ${subject.name} speed |`,
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const m of metrics) {
    const a = subject.results[m.key] ?? Number.NaN;
    const b = reference.results[m.key] ?? Number.NaN;
    const ratio = a / b;
    // "speed" is always "how many times as fast", whichever way the unit points.
    const speed = m.better === 'higher' ? ratio : 1 / ratio;
    lines.push(
      `| ${m.key} | ${m.label}, ${m.unit} (${m.better} is better) | ${format(a)} | ${format(b)} | ${ratio.toFixed(2)} | ${speed.toFixed(2)}× |`,
    );
  }
  return lines.join('\n');
}
