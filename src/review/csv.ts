/**
 * CSV as spreadsheets read it: RFC 4180 quoting, CRLF line ends, a UTF-8 byte-order mark (so
 * Excel reads non-ASCII names), and cells that start like a formula prefixed with an apostrophe
 * (a display name such as "=HYPERLINK(...)" must not run in the reviewer's spreadsheet).
 */
export type Cell = string | number | boolean | null | undefined | string[];

export function csvCell(v: Cell): string {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join('; ') : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n;]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))];
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

/** Parses what toCsv writes (tests, and `diff` reading its own output is not needed). */
export function parseCsv(text: string): string[][] {
  const s = text.replace(/^\ufeff/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && s[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
