import { describe, expect, it } from "vitest";
import { kvReadOf } from "../src/kv-read-url.js";

describe("kvReadOf: the URL of a plain read, without a URL object", () => {
  it("takes the key and the consistency, ReadIndex by default", () => {
    expect(kvReadOf("/kv/a")).toEqual({ key: "a", consistency: "readIndex" });
    expect(kvReadOf("/kv/a%20b?consistency=lease")).toEqual({ key: "a b", consistency: "lease" });
    expect(kvReadOf("/kv/x?consistency=log")).toEqual({ key: "x", consistency: "log" });
    expect(kvReadOf("/kv/x?consistency=readIndex")).toEqual({ key: "x", consistency: "readIndex" });
    expect(kvReadOf("/kv/a%2Fb")).toEqual({ key: "a/b", consistency: "readIndex" });
  });

  it("leaves everything else to the general router", () => {
    for (const url of [
      undefined,
      "/status",
      "/kv/",
      "/kv/x/cas",
      "/kv/x?consistency=stale",
      "/kv/x?consistency=lease&y=1",
      "/kv/%E0%A4%A",
    ]) {
      expect(kvReadOf(url), String(url)).toBeNull();
    }
  });
});
