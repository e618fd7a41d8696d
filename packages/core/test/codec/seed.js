// Seeds for the codec's properties: fixed by default so runs are reproducible, overridable with
// FLOTILLA_SEED to explore. fast-check puts the seed and the failing path in its error message.
export const codecSeed = Number(process.env.FLOTILLA_SEED ?? 0x5eed_c0de);
export function seeded(numRuns) {
  return { seed: codecSeed, numRuns };
}
//# sourceMappingURL=seed.js.map
