// How times and prices read in the app (prices are in the currency's minor unit).

const WHEN = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

export function when(instant: string): string {
  return WHEN.format(new Date(instant));
}

export function money(minor: number): string {
  return (minor / 100).toFixed(2);
}

/** AWSDateTime without milliseconds. */
export function awsDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
