// Where things sit in the cluster drawing: nodes on a circle in a 100×100 box.

export type Point = { readonly x: number; readonly y: number };

export const viewSize = 100;
const radius = 36;

export function nodePoint(i: number, count: number): Point {
  const angle = -Math.PI / 2 + (2 * Math.PI * i) / count;
  return { x: 50 + radius * Math.cos(angle), y: 50 + radius * Math.sin(angle) };
}

export function lerp(a: Point, b: Point, t: number): Point {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

/** The segment from a to b, shortened at both ends so it stops at the nodes' rims. */
export function rimToRim(a: Point, b: Point, rim: number): [Point, Point] {
  const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  const t = rim / length;
  return [lerp(a, b, t), lerp(a, b, 1 - t)];
}
