export declare const codecSeed: number;
export declare function seeded(numRuns: number): {
  seed: number;
  numRuns: number;
};
//# sourceMappingURL=seed.d.ts.map
