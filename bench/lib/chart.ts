/** A bar in a chart panel. */
export interface Bar {
  label: string;
  value: number;
  highlight?: boolean;
}

export interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
  /** A reference line (e.g. 1.0 for ratios). */
  reference?: number;
}

const WIDTH = 760;
const LABEL_WIDTH = 250;
const BAR_HEIGHT = 22;
const GAP = 8;
const PANEL_GAP = 46;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function format(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Renders horizontal bar panels, one under the other, as a standalone SVG (no scripts, no external fonts). */
export function renderBarChart(title: string, subtitle: string, panels: Panel[]): string {
  const parts: string[] = [];
  let y = 56;
  for (const panel of panels) {
    parts.push(`<text x="16" y="${y}" font-size="15" font-weight="600">${escapeXml(panel.title)}</text>`);
    y += 14;
    const max = Math.max(...panel.bars.map((bar) => bar.value), panel.reference ?? 0, 1e-9);
    const scale = (WIDTH - LABEL_WIDTH - 90) / max;
    for (const bar of panel.bars) {
      const width = Math.max(1, Math.max(0, bar.value) * scale);
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.highlight ? '#2f80ed' : '#a8b3c4'}"/>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 15}" font-size="12">${format(bar.value)} ${escapeXml(panel.unit)}</text>`,
      );
      y += BAR_HEIGHT + GAP;
    }
    if (panel.reference !== undefined) {
      const x = LABEL_WIDTH + panel.reference * scale;
      const top = y - panel.bars.length * (BAR_HEIGHT + GAP) - 4;
      parts.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${y - GAP + 4}" stroke="#444" stroke-dasharray="4 3"/>`);
    }
    y += PANEL_GAP - GAP;
  }
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    // The accessible name of the picture, read by screen readers and shown as a tooltip.
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="17" font-weight="700">${escapeXml(title)}</text>`,
    `<text x="16" y="42" font-size="12" fill="#555">${escapeXml(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
