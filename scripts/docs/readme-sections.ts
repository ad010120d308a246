/**
 * Generated parts of a Markdown file live between `<!-- generated:<name> -->` and `<!-- /generated:<name> -->`,
 * so the hand-written text around them stays as written.
 */
export function replaceSection(text: string, name: string, content: string): string {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no "${open}" … "${close}" section; add the two markers where it belongs`);
  }
  return `${text.slice(0, start + open.length)}\n${content.trim()}\n${text.slice(end)}`;
}
