export {};
//# sourceMappingURL=reject.test.d.ts.map
