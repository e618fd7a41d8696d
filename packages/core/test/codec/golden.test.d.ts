export {};
//# sourceMappingURL=golden.test.d.ts.map
