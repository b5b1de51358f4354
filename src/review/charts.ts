/**
 * Small inline SVG charts for the report page (no script, no network, no library): horizontal
 * bars, optionally stacked in two parts. Every label is escaped; sizes follow the data.
 */

export interface Bar {
  label: string;
  /** one value, or two stacked parts (e.g. direct, through groups) */
  parts: number[];
  /** hover text */
  title?: string;
}

const escXml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const COLORS = ['#1f5fbf', '#8fb3e8', '#b42318'];

/** A horizontal bar chart; `legend` names the parts when there are several. */
export function barChart(title: string, bars: Bar[], opts: { legend?: string[]; width?: number; id?: string } = {}): string {
  const width = opts.width ?? 440;
  const labelW = 170;
  const rowH = 20;
  const top = opts.legend ? 34 : 22;
  const height = top + Math.max(1, bars.length) * rowH + 6;
  const max = Math.max(1, ...bars.map((b) => b.parts.reduce((a, n) => a + n, 0)));
  const scale = (width - labelW - 50) / max;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escXml(title)}"${opts.id ? ` id="${escXml(opts.id)}"` : ''} width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  );
  out.push(`<title>${escXml(title)}</title><text x="0" y="14" font-size="13" font-weight="600" fill="#1d2433">${escXml(title)}</text>`);
  if (opts.legend)
    opts.legend.forEach((l, i) => {
      const x = labelW + i * 150;
      out.push(`<rect x="${x}" y="20" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="29" font-size="11" fill="#5b6475">${escXml(l)}</text>`);
    });
  if (!bars.length) out.push(`<text x="0" y="${top + 14}" font-size="12" fill="#5b6475">nothing to show</text>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const label = b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label;
    out.push(`<g class="bar"><title>${escXml(b.title ?? `${b.label}: ${b.parts.join(' + ')}`)}</title>`);
    out.push(`<text x="${labelW - 6}" y="${y + 14}" font-size="12" text-anchor="end" fill="#1d2433">${escXml(label)}</text>`);
    let x = labelW;
    b.parts.forEach((n, k) => {
      const w = Math.round(n * scale * 10) / 10;
      if (w > 0) out.push(`<rect x="${x}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${COLORS[k % COLORS.length]}"/>`);
      x += w;
    });
    out.push(`<text x="${x + 4}" y="${y + 14}" font-size="11" fill="#5b6475">${b.parts.reduce((a, n) => a + n, 0).toLocaleString('en-US')}</text></g>`);
  });
  out.push('</svg>');
  return out.join('');
}
