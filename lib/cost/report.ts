import { estimateOutdir, type CostKind, type EstimateOptions, type LineItem, type PlatformEstimate, type StackEstimate } from './estimate';

/**
 * One line per stack (resource blocks, monthly EUR and CHF) and a total: the
 * short summary printed after a synth. Throws a CostEstimateError when a stack
 * cannot be read or priced.
 */
export function summarizeStacks(outdir: string, options: EstimateOptions = {}): string {
  const estimate = estimateOutdir(outdir, options);
  const { prices } = estimate;
  const width = Math.max(5, ...estimate.stacks.map((s) => s.stack.length));
  const amounts = [estimate, ...estimate.stacks].flatMap((s) => [range(s.monthlyEUR, s.monthlyMaxEUR), range(s.monthlyCHF, s.monthlyMaxCHF)]);
  const moneyWidth = Math.max(...amounts.map((a) => a.length));
  const cost = (s: Pick<StackEstimate, 'monthlyEUR' | 'monthlyCHF' | 'monthlyMaxEUR' | 'monthlyMaxCHF'>) =>
    `${range(s.monthlyEUR, s.monthlyMaxEUR).padStart(moneyWidth)} EUR  ${range(s.monthlyCHF, s.monthlyMaxCHF).padStart(moneyWidth)} CHF a month`;
  const rows = estimate.stacks.map((s) => {
    const unpriced = s.unpriced.length > 0 ? `  (${s.unpriced.length} not priced; see npm run cost)` : '';
    const pools = s.autoscaled.map((p) => `${p.pool} ${p.minNodes} to ${p.maxNodes} nodes`).join(', ');
    const autoscaled = pools ? `  (autoscaled: ${pools})` : '';
    return `  ${s.stack.padEnd(width)}  ${String(s.resourceCount).padStart(4)} resources  ${cost(s)}${autoscaled}${unpriced}`;
  });
  return [
    `Cost estimate at Infomaniak list prices of ${prices.date} (excl. VAT, ${prices.hoursPerMonth} h a month; details: npm run cost):`,
    ...rows,
    `  ${'total'.padEnd(width)}  ${' '.repeat(4 + ' resources'.length)}  ${cost(estimate)}`,
  ].join('\n');
}

/**
 * An amount, or `min to max` where autoscaled pools may grow it: the maximum is
 * never hidden behind the figure OpenTofu applies.
 */
function range(min: number, max: number): string {
  return money(max) === money(min) ? money(min) : `${money(min)} to ${money(max)}`;
}

/** A group of line items shown as one row: same environment, kind, item and unit price. */
interface Group {
  readonly kind: CostKind;
  readonly item: string;
  readonly unit: string;
  readonly unitPriceEUR: number;
  readonly estimated: boolean;
  quantity: number;
  resources: number;
  monthlyEUR: number;
}

const KIND_ORDER: readonly CostKind[] = ['instance', 'volume', 'load-balancer', 'floating-ip', 'object-storage'];

/**
 * The full report: one aligned table per environment (line items grouped,
 * the environment total), the grand total in EUR and CHF, what was not
 * priced and why, and the resource types taken as free.
 */
export function formatCostReport(estimate: PlatformEstimate, title = 'Monthly cost estimate'): string {
  const { prices } = estimate;
  const chf = (eur: number) => eur * prices.chfPerEur;
  const out: string[] = [
    `${title}: ${estimate.stacks.length} stack${estimate.stacks.length === 1 ? '' : 's'}`,
    `Prices: ${prices.source}.`,
    `EUR excl. VAT, ${prices.hoursPerMonth} h a month; CHF = EUR x ${prices.chfPerEur} (Infomaniak's billing units).`,
    `Object storage: ${formatNumber(estimate.objectStorageGBPerContainer)} GB stored per container assumed (--object-storage-gb to change).`,
  ];

  const environments = new Map<string, StackEstimate[]>();
  for (const stack of estimate.stacks) {
    environments.set(stack.environment, [...(environments.get(stack.environment) ?? []), stack]);
  }

  const header = ['item', 'unit price', 'EUR/month', 'CHF/month'];
  const sections = [...environments].map(([environment, stacks]) => {
    const totalEUR = stacks.reduce((sum, s) => sum + s.monthlyEUR, 0);
    const totalMaxEUR = stacks.reduce((sum, s) => sum + s.monthlyMaxEUR, 0);
    const autoscaled = stacks.flatMap((s) => s.autoscaled);
    return {
      title: `${environment} (stack${stacks.length === 1 ? '' : 's'} ${stacks.map((s) => s.stack).join(', ')})`,
      rows: [
        ...groupLines(stacks.flatMap((s) => s.lines)).map((g) => [
          label(g),
          `${unitPrice(g.unitPriceEUR)} EUR/${g.unit}`,
          money(g.monthlyEUR),
          money(chf(g.monthlyEUR)),
        ]),
        // The lines above price an autoscaled pool's floor; this row adds what its growth to the maximum may cost.
        ...autoscaled.map((p) => [
          `pool ${p.pool} autoscaled: ${p.minNodes} to ${p.maxNodes} × ${p.flavor} (floor above)`,
          `${unitPrice(p.perNodeEUR)} EUR/node`,
          `+0.00 to +${money(p.maxEUR - p.minEUR)}`,
          `+0.00 to +${money(chf(p.maxEUR - p.minEUR))}`,
        ]),
      ],
      footer: [`total ${environment}`, '', range(totalEUR, totalMaxEUR), range(chf(totalEUR), chf(totalMaxEUR))],
      unpriced: stacks.flatMap((s) => s.unpriced),
      autoscaled,
    };
  });
  // One set of column widths for every table, so the environments line up.
  const widths = columnWidths([header, ...sections.flatMap((s) => [...s.rows, s.footer])]);
  for (const section of sections) {
    out.push('', section.title);
    out.push(...table(widths, header, section.rows, section.footer).map((line) => `  ${line}`));
    for (const u of section.unpriced) out.push(`  not priced: ${u.address} (stack ${u.stack}): ${u.reason}`);
  }

  const unpricedCount = estimate.stacks.reduce((n, s) => n + s.unpriced.length, 0);
  const autoscaling = estimate.monthlyMaxEUR !== estimate.monthlyEUR;
  out.push(
    '',
    `Grand total: ${range(estimate.monthlyEUR, estimate.monthlyMaxEUR)} EUR = ${range(estimate.monthlyCHF, estimate.monthlyMaxCHF)} CHF a month (excl. VAT` +
      (autoscaling ? '; autoscaled pools from their minimum to their maximum nodes)' : ')') +
      (unpricedCount > 0 ? `, without ${unpricedCount} resource${unpricedCount === 1 ? '' : 's'} not priced (listed above): a lower bound` : ''),
  );

  const free: Record<string, number> = {};
  for (const s of estimate.stacks) for (const [type, n] of Object.entries(s.freeTypes)) free[type] = (free[type] ?? 0) + n;
  const freeEntries = Object.entries(free).sort(([a], [b]) => a.localeCompare(b));
  if (freeEntries.length > 0) {
    const total = freeEntries.reduce((n, [, count]) => n + count, 0);
    out.push(`Free (no line in the price list): ${total} resources of ${freeEntries.length} types:`);
    out.push(...wrap(freeEntries.map(([type, n]) => `${type} x${n}`), 96).map((line) => `  ${line}`));
  }
  return out.join('\n');
}

function groupLines(lines: readonly LineItem[]): Group[] {
  const groups = new Map<string, Group>();
  for (const l of lines) {
    const key = `${l.kind}|${l.item}|${l.unit}|${l.unitPriceEUR}|${l.estimated}`;
    const group = groups.get(key) ?? { kind: l.kind, item: l.item, unit: l.unit, unitPriceEUR: l.unitPriceEUR, estimated: l.estimated, quantity: 0, resources: 0, monthlyEUR: 0 };
    group.quantity += l.quantity;
    group.resources += 1;
    group.monthlyEUR += l.monthlyEUR;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.item.localeCompare(b.item));
}

function label(g: Group): string {
  const n = formatNumber(g.quantity);
  const plural = g.quantity === 1 ? '' : 's';
  switch (g.kind) {
    case 'instance':
      return `${n} × ${g.item}`;
    case 'volume':
      return `volumes ${g.item} ${n} GB`;
    case 'load-balancer':
      return `${n} load balancer${plural}`;
    case 'floating-ip':
      return `${n} floating IP${plural}`;
    case 'object-storage':
      return `object storage ${n} GB in ${g.resources} container${g.resources === 1 ? '' : 's'}${g.estimated ? ' (estimate)' : ''}`;
  }
}

function columnWidths(rows: string[][]): number[] {
  return rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
}

/** Columns: the first left-aligned, the others right-aligned; a rule above the footer. */
function table(widths: number[], header: string[], rows: string[][], footer: string[]): string[] {
  const render = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('   ');
  return [render(header), ...rows.map(render), rule, render(footer)];
}

function wrap(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line}, ${word}` : word;
    if (line && next.length > width) {
      lines.push(`${line},`);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Money for display: two decimals, thousands separated. */
function money(amount: number): string {
  return amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).replace(/,/g, "'");
}

/** Unit prices below 1 EUR keep three significant digits (0.0803 EUR/GB). */
function unitPrice(eur: number): string {
  return eur >= 1 ? eur.toFixed(2) : Number(eur.toPrecision(3)).toString();
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2)));
}
