// Colours for terms and shapes for message types. The hues are Okabe and Ito's palette, chosen to
// stay distinct under the common colour blindnesses; still, nothing is told by hue alone: every
// log cell carries its term as a label, roles are spelled out, and message types have shapes.

const termHues = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#F0E442",
  "#999999",
] as const;

export function termColour(term: number): string {
  return termHues[term % termHues.length]!;
}

/** Dark text on the light hues, light text on the dark ones. */
export function termTextColour(term: number): string {
  return [0, 5].includes(term % termHues.length) ? "#fff" : "#111";
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
