/** The construct id of a kebab-case name: `fraud-check` → `FraudCheck` (a consumer's function, its alarms). */
export function constructId(name: string): string {
  return name.replace(/(^|[-_ ])(\w)/g, (_m, _sep: string, c: string) => c.toUpperCase());
}
