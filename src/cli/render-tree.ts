// fail2ban-client's tree layout (docs/asterisk-facts.md §7): `|- ` and `` `- `` before each
// item, children indented by `|  ` or three spaces, a TAB after each `Label:`. Scripts parse this,
// so the glyphs and the TAB are kept byte for byte.

export interface TreeItem {
  readonly label: string;
  /** Printed after `label:` and a TAB. Absent: a branch title without a colon (`Filter`). */
  readonly value?: string;
  readonly children?: readonly TreeItem[];
}

export function renderTree(title: string, items: readonly TreeItem[]): string {
  const out = [title];
  walk(items, '', out);
  return out.join('\n') + '\n';
}

function walk(items: readonly TreeItem[], indent: string, out: string[]): void {
  items.forEach((item, i) => {
    const last = i === items.length - 1;
    const head = item.value === undefined ? item.label : `${item.label}:\t${item.value}`;
    out.push(`${indent}${last ? '`- ' : '|- '}${head}`);
    if (item.children?.length) walk(item.children, indent + (last ? '   ' : '|  '), out);
  });
}
