import { Cron } from 'croner';

/** How to write a schedule, the end of every message about one. */
export const CRON_FIX =
  'write five fields: minute (0-59) hour (0-23) day of month (1-31) month (1-12) day of week (0-6, 0 is Sunday), for example "0 */6 * * *"';

const NAMES = /JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT/gi;

/**
 * Why `schedule` is not a cron schedule RKE2 can run, or undefined.
 *
 * RKE2 hands `etcd-snapshot-schedule-cron` to the cron parser of its k3s core
 * (robfig/cron, standard five fields: numbers, month and day names, `* / , - ?`).
 * The expression is parsed with croner (a maintained parser, pinned in
 * package.json), which also finds values out of range and schedules that never
 * fire; the extensions croner knows but the standard fields do not (`L`, `W`,
 * `#`, 7 for Sunday, a seconds field) are refused before it.
 */
export function cronScheduleProblem(schedule: string): string | undefined {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return 'must be a cron expression of five fields, for example "0 */6 * * *"';
  for (const field of fields) {
    const rest = field.replace(NAMES, '');
    const extension = /[LW#]/i.exec(rest)?.[0];
    if (extension !== undefined) {
      return `uses ${extension.toUpperCase()}, a cron extension RKE2's parser (robfig/cron, standard fields) does not know; ${CRON_FIX}`;
    }
    if (!/^[0-9*/,?-]*$/.test(rest)) return `not a cron schedule: ${JSON.stringify(field)} is no cron field; ${CRON_FIX}`;
  }
  if (/(^|[,-])7($|[,/-])/.test(fields[4])) {
    return `not a cron schedule: 7 is no day of week for RKE2's parser; write 0 for Sunday; ${CRON_FIX}`;
  }
  let cron: Cron;
  try {
    cron = new Cron(schedule, { paused: true, timezone: 'UTC' });
  } catch (err) {
    return `not a cron schedule: ${plainCronError(err)}; ${CRON_FIX}`;
  }
  if (cron.nextRun() === null) return `never fires: no date matches all five fields; ${CRON_FIX}`;
  return undefined;
}

/** croner's "CronPattern: Invalid value for dayOfWeek: 8" as "invalid value for day of week: 8". */
function plainCronError(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '');
  const words = message.replace(/\b(day)Of(Month|Week)\b/g, (_, day: string, what: string) => `${day} of ${what.toLowerCase()}`);
  return words.charAt(0).toLowerCase() + words.slice(1);
}
